// Shared by this package's tests only (excluded from the build).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRng } from '@gradscope/core';
import type { Feeds, OnnxSession } from './session.js';

export { relativeError as relErr } from '@gradscope/core';

/** Reproducible test data from core's seeded random streams. */
export function seededRandom(seed: number): () => number {
  const rng = createRng(seed);
  return () => rng.uniform(0, 1);
}

export function uniform(rand: () => number, n: number, lo: number, hi: number): Float32Array {
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * rand());
}

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
