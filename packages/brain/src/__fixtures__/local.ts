import { createAddingTask, createRng, sizeOf, type Batch } from '@gradscope/core';

/** Batch `index` 0 of core's adding problem with `T` steps (T >= 2). */
export function addingBatch(batch: number, T: number, seed: number): Batch {
  return createAddingTask({ T, seed }).trainBatch(batch, 0);
}

/** Inputs uniform in [-1, 1) and mse targets uniform in [0, 1), seeded: for shapes no task offers (e.g. T = 1). */
export function randomBatch(inputShape: readonly number[], targetShape: readonly number[], seed: number): Batch {
  const rng = createRng(seed);
  const input = Float32Array.from({ length: sizeOf(inputShape) }, () => rng.uniform(-1, 1));
  const target = Float32Array.from({ length: sizeOf(targetShape) }, () => rng.uniform());
  return { input: { shape: [...inputShape], data: input }, target: { shape: [...targetShape], data: target } };
}
