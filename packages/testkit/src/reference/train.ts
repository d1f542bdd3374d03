import {
  applyTrainingStep,
  ParamError,
  paramShapes,
  type GradientReport,
  type ModelSpec,
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
  return { step: state.step, optimizer: copyState(state, state.step) };
}

/**
 * Restores a `TrainingState` (a deep copy, widened to float64). Every optimizer buffer must belong to a
 * parameter of the spec and have its length; otherwise a `ParamError` names the buffer.
 */
export function importTrainingState(spec: ModelSpec, state: TrainingState): OptimizerState {
  const sizes = new Map(paramShapes(spec).map((p) => [p.name, p.shape]));
  const unexpected: string[] = [];
  const wrongShape: { name: string; expected: readonly number[]; actual: readonly number[] }[] = [];
  for (const [slot, bufs] of Object.entries(state.optimizer.slots)) {
    for (const [name, buf] of Object.entries(bufs)) {
      const shape = sizes.get(name);
      if (!shape) unexpected.push(`${slot}.${name}`);
      else if (buf.length !== shape.reduce((n, d) => n * d, 1)) wrongShape.push({ name: `${slot}.${name}`, expected: [...shape], actual: [buf.length] });
    }
  }
  if (unexpected.length || wrongShape.length) throw new ParamError([], unexpected, wrongShape, 'optimizer buffers');
  return copyState(state.optimizer, state.step);
}

function copyState(state: OptimizerState, step: number): OptimizerState {
  const slots: OptimizerState['slots'] = {};
  for (const [slot, bufs] of Object.entries(state.slots)) {
    slots[slot] = {};
    for (const [name, b] of Object.entries(bufs)) slots[slot][name] = Float64Array.from(b);
  }
  return { step, slots };
}
