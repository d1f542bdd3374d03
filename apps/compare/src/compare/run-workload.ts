import { performance } from 'node:perf_hooks';
import { assertSpecSupported, assertTrainingSupported, computeLoss, type Backend, type GradientResult } from '@gradscope/core';
import type { BlockNormSnapshot } from './results.js';
import type { Workload } from './workloads.js';

/** What one backend produced on one workload. */
export interface WorkloadOutcome {
  /** Gradients of the probe batch at initialization. */
  initial: GradientResult;
  /** Block-output norms of the probe batch at init and every `snapshotEvery` steps (residual nets). */
  snapshots: BlockNormSnapshot[];
  loss: number[];
  /** Wall time of every training step, in milliseconds. */
  stepMs: number[];
  /** MSE on the workload's test batch after training (when it has one). */
  testMse?: number;
  /** Why training did not run, when the backend cannot train this workload. */
  trainingSkipped?: string;
}

/**
 * Gradients at init, then (when `train`) the workload's training steps, timing each one. Throws
 * `NotSupportedError` before building anything when the backend's manifest does not cover the spec.
 */
export async function runWorkload(backend: Backend, w: Workload, train: boolean): Promise<WorkloadOutcome> {
  assertSpecSupported(backend, w.spec);
  const model = await backend.createModel(w.spec, w.params);
  try {
    const initial = await model.computeGradients(w.data.probe, w.training.loss);
    const snapshots: BlockNormSnapshot[] = initial.blockOutputGradNorms ? [{ step: 0, norms: initial.blockOutputGradNorms }] : [];
    const outcome: WorkloadOutcome = { initial, snapshots, loss: [], stepMs: [] };
    if (!train) return outcome;
    try {
      assertTrainingSupported(backend, w.training);
    } catch (err) {
      return { ...outcome, trainingSkipped: err instanceof Error ? err.message : String(err) };
    }
    model.configureTraining(w.training);
    for (let i = 0; i < w.data.train.length; i++) {
      const t0 = performance.now();
      const result = await model.trainStep(w.data.train[i]!);
      outcome.stepMs.push(performance.now() - t0);
      outcome.loss.push(result.loss);
      if (w.snapshotEvery && initial.blockOutputGradNorms && result.step % w.snapshotEvery === 0) {
        const g = await model.computeGradients(w.data.probe, w.training.loss);
        if (g.blockOutputGradNorms) snapshots.push({ step: result.step, norms: g.blockOutputGradNorms });
      }
    }
    if (w.data.test) {
      const out = await model.forward(w.data.test.input);
      outcome.testMse = computeLoss('mse', out.data, w.data.test.target.data, out.shape[0]!).loss;
    }
    return outcome;
  } finally {
    await model.dispose();
  }
}
