import { performance } from 'node:perf_hooks';
import {
  assertSpecSupported,
  assertTrainingSupported,
  computeLoss,
  unsupportedSpecFeature,
  type Backend,
  type GradientResult,
  type Model,
  type ModelSpec,
  type Tensor,
} from '@gradscope/core';
import { referenceSpread } from './agreement.js';
import type { BlockNormSnapshot, Spread, TestPoint } from './results.js';
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
  /** MSE on the workload's test batch after training (regression workloads with a test batch). */
  testMse?: number;
  /** Classification workloads with a test batch: test error at init and at every snapshot. */
  test?: TestPoint[];
  /** Why training did not run, when the backend cannot train this workload. */
  trainingSkipped?: string;
  /** The reference on conv workloads: how far its own initial gradients move under float32-sized weight changes. */
  spread?: Spread;
}

/** Whether `runWorkload` can build this spec on the backend: its manifest covers it. */
export function canRun(backend: Backend, spec: ModelSpec): boolean {
  return unsupportedSpecFeature(backend.supports, spec) === undefined;
}

/** Misclassified fraction and mean cross-entropy of the test set, in chunks, BatchNorm in eval mode. */
async function testPoint(model: Model, test: { input: Tensor; target: Tensor }, step: number): Promise<TestPoint> {
  const [n, ...rest] = test.input.shape as [number, ...number[]];
  const per = rest.reduce((a, b) => a * b, 1);
  const chunk = 100;
  let wrong = 0;
  let lossSum = 0;
  model.setBatchNormMode?.('eval');
  try {
    for (let start = 0; start < n; start += chunk) {
      const m = Math.min(chunk, n - start);
      const input = { shape: [m, ...rest], data: test.input.data.subarray(start * per, (start + m) * per) };
      const labels = test.target.data.subarray(start, start + m);
      const out = await model.forward(input);
      const classes = out.shape[1]!;
      for (let i = 0; i < m; i++) {
        let best = 0;
        for (let c = 1; c < classes; c++) if (out.data[i * classes + c]! > out.data[i * classes + best]!) best = c;
        if (best !== labels[i]) wrong++;
      }
      lossSum += computeLoss('crossEntropy', out.data, labels, m).loss * m;
    }
  } finally {
    model.setBatchNormMode?.('train');
  }
  return { step, error: wrong / n, loss: lossSum / n };
}

/**
 * Gradients at init, then (when `train`) the workload's training steps, timing each one. Throws
 * `NotSupportedError` before building anything when the backend cannot build the spec.
 */
export async function runWorkload(backend: Backend, w: Workload, train: boolean, measureSpread = false): Promise<WorkloadOutcome> {
  assertSpecSupported(backend, w.spec);
  const model = await backend.createModel(w.spec, w.params);
  try {
    const initial = await model.computeGradients(w.data.probe, w.training.loss);
    const snapshots: BlockNormSnapshot[] = initial.blockOutputGradNorms ? [{ step: 0, norms: initial.blockOutputGradNorms }] : [];
    const outcome: WorkloadOutcome = { initial, snapshots, loss: [], stepMs: [] };
    if (measureSpread) outcome.spread = await referenceSpread(model, w.params, w.data.probe, w.training.loss, initial);
    if (!train) return outcome;
    try {
      assertTrainingSupported(backend, w.training);
    } catch (err) {
      return { ...outcome, trainingSkipped: err instanceof Error ? err.message : String(err) };
    }
    const classify = w.data.test && w.training.loss === 'crossEntropy' ? w.data.test : undefined;
    if (classify) outcome.test = [await testPoint(model, classify, 0)];
    model.configureTraining(w.training);
    for (let i = 0; i < w.data.train.length; i++) {
      const t0 = performance.now();
      const result = await model.trainStep(w.data.train[i]!);
      outcome.stepMs.push(performance.now() - t0);
      outcome.loss.push(result.loss);
      const snapshotDue = w.snapshotEvery !== undefined && (result.step % w.snapshotEvery === 0 || i === w.data.train.length - 1);
      if (snapshotDue && initial.blockOutputGradNorms) {
        const g = await model.computeGradients(w.data.probe, w.training.loss);
        if (g.blockOutputGradNorms) snapshots.push({ step: result.step, norms: g.blockOutputGradNorms });
      }
      if (snapshotDue && classify) outcome.test!.push(await testPoint(model, classify, result.step));
    }
    if (w.data.test && !classify) {
      const out = await model.forward(w.data.test.input);
      outcome.testMse = computeLoss('mse', out.data, w.data.test.target.data, out.shape[0]!).loss;
    }
    return outcome;
  } finally {
    await model.dispose();
  }
}
