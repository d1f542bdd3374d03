import type { Batch } from '../backend.js';
import { createRng, type RandomStream } from '../random.js';
import { tensor } from '../tensor.js';
import { checkCount, type Task } from './task.js';

export interface AddingTaskOptions {
  /** Sequence length, at least 2. */
  readonly T: number;
  readonly seed: number;
}

/**
 * The adding problem (Hochreiter & Schmidhuber) as DESIGN.md defines it. Input `[batch, T, 2]`: channel 0 holds
 * values drawn from U(0,1), channel 1 a marker that is 1 at exactly two positions, one uniform in the first half
 * `[0, ceil(T/2))` and one in the second half `[ceil(T/2), T)` (for even T: `[0, T/2)` and `[T/2, T)`).
 * Target `[batch, 1]`: the sum of the two marked values. Predicting 1.0 always scores MSE 1/6 (the baseline).
 */
export function createAddingTask(options: AddingTaskOptions): Task {
  const { T, seed } = options;
  checkCount('T', T, 2);
  const root = createRng(seed);
  const train = root.stream('adding/train');
  // Streams are stateful: each batch and each test set starts a fresh derived stream, so repeats are identical.
  return {
    name: `adding:T=${T}`,
    inputSize: 2,
    outputSize: 1,
    loss: 'mse',
    sequenceLength: T,
    trainBatch(batchSize, index) {
      checkCount('batchSize', batchSize);
      checkCount('index', index, 0, Number.MAX_SAFE_INTEGER);
      return addingBatch(train.stream(String(index)), batchSize, T);
    },
    testSet(n) {
      checkCount('n', n);
      return addingBatch(root.stream('adding/test'), n, T);
    },
  };
}

function addingBatch(rng: RandomStream, batch: number, T: number): Batch {
  const input = new Float32Array(batch * T * 2);
  const target = new Float32Array(batch);
  const half = Math.ceil(T / 2);
  for (let b = 0; b < batch; b++) {
    const row = b * T * 2;
    for (let t = 0; t < T; t++) input[row + 2 * t] = rng.uniform();
    const first = rng.int(half);
    const second = half + rng.int(T - half);
    input[row + 2 * first + 1] = 1;
    input[row + 2 * second + 1] = 1;
    // The sum of the stored float32 values, so the target is exactly what the inputs show.
    target[b] = input[row + 2 * first]! + input[row + 2 * second]!;
  }
  return { input: tensor([batch, T, 2], input), target: tensor([batch, 1], target) };
}
