// Shared by this package's tests only (excluded from the build).
import { createRng } from '@gradscope/core';

export { relativeError as relErr } from '@gradscope/core';

/** Reproducible test data from core's seeded random streams. */
export function seededRandom(seed: number): () => number {
  const rng = createRng(seed);
  return () => rng.uniform(0, 1);
}

export function uniform(rand: () => number, n: number, lo: number, hi: number): Float32Array {
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * rand());
}
