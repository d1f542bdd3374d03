import { paramShapes, type NetworkSpec, type ParamSet, type Tensor } from '@gradscope/core';
// Shared by this package's tests only (excluded from the build).

/** A small seeded generator (mulberry32) so test data is reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function uniform(rand: () => number, n: number, lo: number, hi: number): Float32Array {
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * rand());
}

/** `max|a - b| / max|ref|` (DESIGN.md's relative error). */
export function relErr(actual: ArrayLike<number>, reference: ArrayLike<number>): number {
  let d = 0;
  let r = 0;
  for (let i = 0; i < reference.length; i++) {
    d = Math.max(d, Math.abs(actual[i]! - reference[i]!));
    r = Math.max(r, Math.abs(reference[i]!));
  }
  if (actual.length !== reference.length) return Infinity;
  return r === 0 ? d : d / r;
}

/**
 * PyTorch's default initialization (Linear: U(±1/√fan_in) for weight and bias; recurrent: U(±1/√hidden)), seeded.
 * A local stand-in until core's initParams is on main.
 */
export function torchLikeInit(spec: NetworkSpec, seed: number): ParamSet {
  const rand = seededRandom(seed);
  const out: ParamSet = {};
  for (const { name, shape } of paramShapes(spec)) {
    const fanIn = spec.kind === 'recurrent' && !name.startsWith('fc.') ? spec.hiddenSize : name.endsWith('.bias') ? weightFanIn(spec, name) : shape[1]!;
    const bound = 1 / Math.sqrt(fanIn);
    out[name] = { shape, data: uniform(rand, shape.reduce((a, b) => a * b, 1), -bound, bound) };
  }
  return out;
}

function weightFanIn(spec: NetworkSpec, biasName: string): number {
  const weight = paramShapes(spec).find((p) => p.name === biasName.replace(/\.bias$/, '.weight'))!;
  return weight.shape[1]!;
}

/**
 * The adding problem (DESIGN.md): channel 0 values U(0,1), channel 1 a marker that is 1 at one position drawn from
 * [0, T/2) and one from [T/2, T); the target is the sum of the two marked values. Local until core's createAddingTask
 * is on main.
 */
export function addingBatch(rand: () => number, batch: number, steps: number): { input: Tensor; target: Tensor } {
  const input = new Float32Array(batch * steps * 2);
  const target = new Float32Array(batch);
  const half = Math.floor(steps / 2);
  for (let b = 0; b < batch; b++) {
    const first = Math.floor(rand() * half);
    const second = half + Math.floor(rand() * (steps - half));
    for (let t = 0; t < steps; t++) {
      const v = rand();
      input[(b * steps + t) * 2] = v;
      if (t === first || t === second) {
        input[(b * steps + t) * 2 + 1] = 1;
        target[b]! += v;
      }
    }
  }
  return { input: { shape: [batch, steps, 2], data: input }, target: { shape: [batch, 1], data: target } };
}
