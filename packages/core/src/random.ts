import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';
import { SpecError } from './errors.js';

/**
 * A seeded stream of random numbers (xoroshiro128+). The same seed gives the same numbers on every machine:
 * draws use only integer arithmetic, `+ - * /`, `Math.sqrt` and V8's software (fdlibm) `Math.log`/`Math.cos`/`Math.sin`.
 */
export interface RandomStream {
  /** Uniform in `[lo, hi)`; `[0, 1)` by default. */
  uniform(lo?: number, hi?: number): number;
  /** Normal with the given mean and standard deviation (Box–Muller). */
  normal(mean?: number, std?: number): number;
  /** Uniform integer in `[0, n)`, `n` an integer in `[1, 2^32]`. */
  int(n: number): number;
  /**
   * An independent stream determined only by this stream's seed path and `label` — not by how many numbers were
   * drawn, nor by the order sub-streams are made. `createRng(7).stream('stem.weight')` is always the same stream.
   */
  stream(label: string): RandomStream;
}

const MAX_INT32 = 2 ** 32;

/** murmur3's 32-bit finalizer: a bijective mix, so distinct inputs stay distinct. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/** Folds a label's UTF-16 code units into a 4-word key, each word mixed with a different constant. */
function deriveKey(parent: readonly number[], label: string): number[] {
  const key = parent.map((w, i) => fmix32(w ^ Math.imul(i + 1, 0x9e3779b9)));
  for (let c = 0; c < label.length; c++) {
    for (let i = 0; i < 4; i++) key[i] = fmix32((key[i]! ^ label.charCodeAt(c)) + Math.imul(i + 1, 0x632be5ab));
  }
  // Length too, so "a" + "b" and "ab" differ in their chain of labels.
  return key.map((w, i) => fmix32(w ^ Math.imul(label.length + 1, 0x27d4eb2f + i)));
}

function generatorFor(key: readonly number[]): RandomGenerator {
  const state = key.map((w) => w | 0);
  // xoroshiro128+ must not start from the all-zero state.
  if (!state.some((w) => w !== 0)) state[0] = 1;
  const rng = xoroshiro128plusFromState(state);
  // Discard the first outputs, which are weakly mixed for nearby states.
  for (let i = 0; i < 16; i++) rng.next();
  return rng;
}

class Stream implements RandomStream {
  private readonly rng: RandomGenerator;
  private spare: number | undefined;

  constructor(private readonly key: readonly number[]) {
    this.rng = generatorFor(key);
  }

  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * uniformFloat64(this.rng);
  }

  normal(mean = 0, std = 1): number {
    if (this.spare !== undefined) {
      const z = this.spare;
      this.spare = undefined;
      return mean + std * z;
    }
    const u1 = 1 - uniformFloat64(this.rng); // (0, 1]: log stays finite
    const u2 = uniformFloat64(this.rng);
    const r = Math.sqrt(-2 * Math.log(u1));
    const theta = 2 * Math.PI * u2;
    this.spare = r * Math.sin(theta);
    return mean + std * r * Math.cos(theta);
  }

  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > MAX_INT32) {
      throw new RangeError(`int(n) needs an integer n in [1, 2^32], got ${n}`);
    }
    return uniformInt(this.rng, 0, n - 1);
  }

  stream(label: string): RandomStream {
    return new Stream(deriveKey(this.key, label));
  }
}

/**
 * A random stream from an integer seed (any safe integer, negative included).
 * Throws `SpecError` for a seed that is not a safe integer, so a typo such as `seed: "1"` is not silently hashed.
 */
export function createRng(seed: number): RandomStream {
  if (!Number.isSafeInteger(seed)) {
    throw new SpecError([{ path: 'seed', message: `expected a safe integer, got ${typeof seed === 'number' ? seed : JSON.stringify(seed)}` }], 'random seed');
  }
  const lo = seed % MAX_INT32 | 0;
  const hi = Math.floor(seed / MAX_INT32) | 0;
  return new Stream(deriveKey([lo, hi, 0x5eed, 0x67726164], ''));
}
