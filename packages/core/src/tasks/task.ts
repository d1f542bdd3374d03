import type { Batch } from '../backend.js';
import { SpecError } from '../errors.js';
import type { LossName } from '../training.js';

/**
 * A seeded, reproducible learning problem. Batches are addressed by their index in the training stream, so the
 * same seed gives the same batch `k` however a run is split (stopped, checkpointed, resumed).
 */
export interface Task {
  /** Canonical name, parseable by `parseTaskName` (e.g. `adding:T=100`). */
  readonly name: string;
  readonly inputSize: number;
  readonly outputSize: number;
  readonly loss: LossName;
  /** Timesteps per example for sequence tasks (input `[batch, T, inputSize]`); absent for dense tasks. */
  readonly sequenceLength?: number;
  /**
   * Image tasks: the shape of one example, `[channels, H, W]` (input `[batch, channels, H, W]`, NCHW), with
   * `inputSize` = channels·H·W. Absent for dense and sequence tasks. Conv specs need a task with it.
   */
  readonly inputShape?: readonly [number, number, number];
  /** Training batch number `index` (0-based) of the stream; the same (seed, index, batchSize) always gives the same batch. */
  trainBatch(batchSize: number, index: number): Batch;
  /** A held-out set of `n` examples from a stream separate from training; `testSet(m)` is a prefix of `testSet(n)` for m <= n. */
  testSet(n: number): Batch;
}

/** Throws `SpecError` unless `value` is an integer in `[min, max]`. */
export function checkCount(path: string, value: number, min = 1, max = 1_000_000): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new SpecError([{ path, message: `expected an integer in [${min}, ${max}], got ${value}` }], 'task request');
  }
}
