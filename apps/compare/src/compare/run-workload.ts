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
import type { BlockNormSnapshot, Spread, TestPoint, TimeGradSnapshot } from './results.js';
import type { Workload } from './workloads.js';

/** What one backend produced on one workload. */
export interface WorkloadOutcome {
  /** Gradients of the probe batch at initialization. */
  initial: GradientResult;
  /** Block-output norms of the probe batch at init and every `snapshotEvery` steps (residual nets). */
  snapshots: BlockNormSnapshot[];
  /** Per-timestep gradient norms of the probe batch (top layer) at init and every `snapshotEvery` steps (recurrent nets). */
  timeSnapshots: TimeGradSnapshot[];
  loss: number[];
  /** Total gradient norm of every training step, before clipping. */
  gradNorm: number[];
  /** Wall time of every training step, in milliseconds. */
  stepMs: number[];
  /** The step whose loss or gradients were not finite; training stopped there with the weights of the step before. */
  nonFiniteAt?: number;
  /** MSE on the workload's test batch after training (regression workloads with a test batch). */
  testMse?: number;
  /** Regression workloads with a test batch: test MSE at init and at every snapshot. */
  testMseCurve?: { step: number; mse: number }[];
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

async function testMse(model: Model, test: { input: Tensor; target: Tensor }): Promise<number> {
  const out = await model.forward(test.input);
  return computeLoss('mse', out.data, test.target.data, out.shape[0]!).loss;
}

/** The top layer's per-timestep norms of a recurrent result (empty for other nets). */
function timeSnapshot(step: number, g: GradientResult): TimeGradSnapshot[] {
  const hidden = g.hiddenGradNorms?.[g.hiddenGradNorms.length - 1];
  if (!hidden) return [];
  const cell = g.cellGradNorms?.[g.cellGradNorms.length - 1];
  return [{ step, hidden, ...(cell && { cell }) }];
}

/**
 * Gradients at init, then (when `train`) the workload's training steps, timing each one. Throws
 * `NotSupportedError` before building anything when the backend cannot build the spec. `onStep` sees the outcome so
 * far after the gradients at init and after every step (a live chart draws from it; it must not change it).
 */
export async function runWorkload(
  backend: Backend,
  w: Workload,
  train: boolean,
  measureSpread = false,
  onStep?: (soFar: Readonly<WorkloadOutcome>) => void,
): Promise<WorkloadOutcome> {
  assertSpecSupported(backend, w.spec);
  const model = await backend.createModel(w.spec, w.params);
  try {
    const initial = await model.computeGradients(w.data.probe, w.training.loss);
    const snapshots: BlockNormSnapshot[] = initial.blockOutputGradNorms ? [{ step: 0, norms: initial.blockOutputGradNorms }] : [];
    const outcome: WorkloadOutcome = { initial, snapshots, timeSnapshots: timeSnapshot(0, initial), loss: [], gradNorm: [], stepMs: [] };
    if (measureSpread) outcome.spread = await referenceSpread(model, w.params, w.data.probe, w.training.loss, initial);
    if (!train) return outcome;
    try {
      assertTrainingSupported(backend, w.training);
    } catch (err) {
      return { ...outcome, trainingSkipped: err instanceof Error ? err.message : String(err) };
    }
    const classify = w.data.test && w.training.loss === 'crossEntropy' ? w.data.test : undefined;
    const regress = w.data.test && !classify ? w.data.test : undefined;
    if (classify) outcome.test = [await testPoint(model, classify, 0)];
    if (regress) outcome.testMseCurve = [{ step: 0, mse: await testMse(model, regress) }];
    onStep?.(outcome);
    model.configureTraining(w.training);
    for (let i = 0; i < w.data.train.length; i++) {
      const t0 = performance.now();
      const result = await model.trainStep(w.data.train[i]!);
      outcome.stepMs.push(performance.now() - t0);
      outcome.loss.push(result.loss);
      outcome.gradNorm.push(result.gradNorm);
      if (result.nonFinite) {
        outcome.nonFiniteAt = result.step;
        break;
      }
      const snapshotDue = w.snapshotEvery !== undefined && (result.step % w.snapshotEvery === 0 || i === w.data.train.length - 1);
      if (!snapshotDue) {
        onStep?.(outcome);
        continue;
      }
      if (initial.blockOutputGradNorms || initial.hiddenGradNorms) {
        const g = await model.computeGradients(w.data.probe, w.training.loss);
        if (g.blockOutputGradNorms) snapshots.push({ step: result.step, norms: g.blockOutputGradNorms });
        outcome.timeSnapshots.push(...timeSnapshot(result.step, g));
      }
      if (classify) outcome.test!.push(await testPoint(model, classify, result.step));
      if (regress) outcome.testMseCurve!.push({ step: result.step, mse: await testMse(model, regress) });
      onStep?.(outcome);
    }
    if (regress) {
      const lastPoint = outcome.testMseCurve![outcome.testMseCurve!.length - 1]!;
      outcome.testMse = lastPoint.step === outcome.loss.length && outcome.nonFiniteAt === undefined ? lastPoint.mse : await testMse(model, regress);
    }
    return outcome;
  } finally {
    await model.dispose();
  }
}
