import {
  applyTrainingStep,
  restoreOptimizerState,
  trainingStateOf,
  type GradientReport,
  type NetworkSpec,
  type OptimizerState,
  type StepResult,
  type TrainingConfig,
  type TrainingState,
} from '@gradscope/core';
import { architectureNorms, gradients64, type AnyBatch } from './network.js';
import type { Params64 } from './params64.js';

/**
 * One training step in float64, in place: exact gradients of the batch, then core's shared
 * clip -> schedule -> optimizer step on the float64 parameters and float64 optimizer slots.
 * Non-finite losses and gradients flow into the parameters as they would in PyTorch.
 */
export function trainStep64(
  spec: NetworkSpec,
  params: Params64,
  config: TrainingConfig,
  state: OptimizerState,
  batch: AnyBatch,
  withReport: boolean,
): StepResult {
  const result = gradients64(spec, params, batch, config.loss);
  const grads: Params64 = {};
  for (const [name, t] of Object.entries(result.grads)) grads[name] = t.data;
  const applied = applyTrainingStep(config, state, params, grads, withReport);
  const base = { step: state.step, loss: result.loss, lr: applied.lr, gradNorm: applied.gradNorm, clipCoef: applied.clipCoef };
  if (!withReport) return base;
  const report: GradientReport = { ...base, params: applied.params ?? {}, ...architectureNorms(result) };
  return { ...base, report };
}

/** The model's optimizer position as a `TrainingState` (a deep copy). */
export function exportTrainingState(state: OptimizerState): TrainingState {
  return trainingStateOf(state);
}

/** Restores a `TrainingState` as float64 buffers; a buffer that fits no parameter is a `ParamError` naming it. */
export function importTrainingState(spec: NetworkSpec, state: TrainingState): OptimizerState {
  return restoreOptimizerState(spec, state, Float64Array);
}
