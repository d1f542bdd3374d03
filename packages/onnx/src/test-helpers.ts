// Shared by this package's tests only (excluded from the build).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Feeds, OnnxSession } from './session.js';

/** Debian's python3 with python3-onnx, used only by checks that are skipped with a visible reason without it. */
export const python = '/usr/bin/python3';
export const hasPythonOnnx =
  existsSync(python) &&
  (() => {
    try {
      execFileSync(python, ['-c', 'import onnx'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

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


/** Central finite differences of the graph output `loss` with respect to every element of the feed `input`. */
export async function finiteDifferences(session: OnnxSession, feeds: Feeds, input: string, eps: number): Promise<Float32Array> {
  const x = feeds[input]!.data;
  const numeric = new Float32Array(x.length);
  for (let j = 0; j < x.length; j++) {
    const keep = x[j]!;
    x[j] = keep + eps;
    const up = (await session.run(feeds, ['loss'])).loss!.data[0]!;
    x[j] = keep - eps;
    const down = (await session.run(feeds, ['loss'])).loss!.data[0]!;
    x[j] = keep;
    numeric[j] = (up - down) / (2 * eps);
  }
  return numeric;
}
