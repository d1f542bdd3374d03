import { createAddingTask, createSpiralsTask, type Batch, type Task } from '@gradscope/core';
import { createMnistTask, type MnistDigits } from './mnist-task.js';

/** The batches of one workload, shared by every backend so they all see the same data. */
export interface WorkloadData {
  task: Task;
  /** The batch whose gradients are recorded (at init and during training) and compared with the reference. */
  probe: Batch;
  /** One batch per training step. */
  train: Batch[];
  /** Held-out examples the trained model is scored on (adding problem: MSE; MNIST: classification error). */
  test?: Batch;
}

/** Training batches 1..steps of the task's stream; batch 0 is the probe batch. */
function batches(task: Task, batch: number, steps: number): Pick<WorkloadData, 'probe' | 'train'> {
  return { probe: task.trainBatch(batch, 0), train: Array.from({ length: steps }, (_, i) => task.trainBatch(batch, i + 1)) };
}

/** The adding problem with sequence length T (core's task), plus its held-out test set (none when `testSize` is 0). */
export function addingData(T: number, batch: number, steps: number, testSize: number, seed: number): WorkloadData {
  const task = createAddingTask({ T, seed });
  return { task, ...batches(task, batch, steps), ...(testSize > 0 && { test: task.testSet(testSize) }) };
}

/** Two-spirals classification (core's dense task): a deep plain net stalls on it, a residual one learns. */
export function spiralsData(batch: number, steps: number, seed: number): WorkloadData {
  const task = createSpiralsTask({ seed });
  return { task, ...batches(task, batch, steps) };
}

/** MNIST digits at `size`×`size` (14: 2×2 average pooled) with a seeded train/test split. */
export function mnistData(size: 14 | 28, batch: number, steps: number, testSize: number, seed: number, digits: MnistDigits): WorkloadData {
  const task = createMnistTask({ seed, testSize, downsample: size === 14 ? 2 : 1, digits });
  return { task, ...batches(task, batch, steps), test: task.testSet(testSize) };
}
