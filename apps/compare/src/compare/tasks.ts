import { createRng, type Batch, type RandomStream } from '@gradscope/core';
import type { DepthSettings } from './suites.js';

/** The batches of one workload, shared by every backend so they all see the same data. */
export interface WorkloadData {
  /** The batch whose gradients are recorded (at init and during training) and compared with the reference. */
  probe: Batch;
  /** One batch per training step. */
  train: Batch[];
  /** Fresh examples the trained model is scored on (adding problem). */
  test?: Batch;
}

// INTERIM: to be replaced by core's createAddingTask / dense task once they are on main.

function addingBatch(rng: RandomStream, T: number, batch: number): Batch {
  const input = new Float32Array(batch * T * 2);
  const target = new Float32Array(batch);
  for (let b = 0; b < batch; b++) {
    const first = rng.int(Math.floor(T / 2));
    const second = Math.floor(T / 2) + rng.int(T - Math.floor(T / 2));
    for (let t = 0; t < T; t++) input[(b * T + t) * 2] = rng.uniform();
    input[(b * T + first) * 2 + 1] = 1;
    input[(b * T + second) * 2 + 1] = 1;
    target[b] = input[(b * T + first) * 2]! + input[(b * T + second) * 2]!;
  }
  return { input: { shape: [batch, T, 2], data: input }, target: { shape: [batch, 1], data: target } };
}

export function addingData(T: number, batch: number, steps: number, testSize: number, seed: number): WorkloadData {
  const rng = createRng(seed).stream(`adding T=${T}`);
  return {
    probe: addingBatch(rng.stream('probe'), T, batch),
    train: Array.from({ length: steps }, (_, i) => addingBatch(rng.stream(`train ${i}`), T, batch)),
    test: addingBatch(rng.stream('test'), T, testSize),
  };
}

export function denseData(s: DepthSettings, seed: number): WorkloadData {
  const rng = createRng(seed).stream('dense');
  const teacher = rng.stream('teacher');
  const w = Array.from({ length: s.outputSize * s.inputSize }, () => teacher.normal(0, 1 / Math.sqrt(s.inputSize)));
  const make = (r: RandomStream, batch: number): Batch => {
    const input = Float32Array.from({ length: batch * s.inputSize }, () => r.normal());
    const target = new Float32Array(batch * s.outputSize);
    for (let b = 0; b < batch; b++) {
      for (let o = 0; o < s.outputSize; o++) {
        let z = 0;
        for (let i = 0; i < s.inputSize; i++) z += w[o * s.inputSize + i]! * input[b * s.inputSize + i]!;
        target[b * s.outputSize + o] = Math.sin(2 * z);
      }
    }
    return { input: { shape: [batch, s.inputSize], data: input }, target: { shape: [batch, s.outputSize], data: target } };
  };
  return { probe: make(rng.stream('probe'), s.batch), train: Array.from({ length: s.steps }, (_, i) => make(rng.stream(`train ${i}`), s.batch)) };
}
