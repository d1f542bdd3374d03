import { clipGradients } from './clip.js';
import { applyOptimizer, type OptimizerState } from './optim.js';
import type { ParamStats } from './report.js';
import { learningRateAt } from './schedule.js';
import { l2Norm, type NumericArray } from './tensor.js';
import type { TrainingConfig } from './training.js';

export interface AppliedStep {
  readonly lr: number;
  readonly gradNorm: number;
  readonly clipCoef: number;
  /** Per-parameter statistics, only when asked for. */
  readonly params?: Record<string, ParamStats>;
}

/**
 * Clip -> schedule -> optimizer on plain arrays, in place: the shared training step of every backend that
 * fetches its gradients (the runtime computes the gradients; the update follows DESIGN.md exactly).
 */
export function applyTrainingStep(
  config: TrainingConfig,
  state: OptimizerState,
  params: Record<string, NumericArray>,
  grads: Record<string, NumericArray>,
  withStats: boolean,
): AppliedStep {
  const before = withStats ? statsBefore(params, grads) : undefined;
  const { totalNorm, coef } = clipGradients(grads, config.clip);
  const lr = learningRateAt(config.schedule, config.optimizer.lr, state.step);
  const snapshot = before ? Object.fromEntries(Object.entries(params).map(([n, p]) => [n, p.slice()])) : undefined;
  applyOptimizer(config.optimizer, state, params, grads, lr);
  if (!before || !snapshot) return { lr, gradNorm: totalNorm, clipCoef: coef };
  const stats: Record<string, ParamStats> = {};
  for (const [name, p] of Object.entries(params)) {
    const old = snapshot[name]!;
    let d = 0;
    for (let i = 0; i < p.length; i++) d += (p[i]! - old[i]!) ** 2;
    const b = before[name]!;
    stats[name] = { gradNorm: b.gradNorm, weightNorm: b.weightNorm, updateRatio: b.weightNorm === 0 ? (d === 0 ? 0 : Infinity) : Math.sqrt(d) / b.weightNorm };
  }
  return { lr, gradNorm: totalNorm, clipCoef: coef, params: stats };
}

function statsBefore(params: Record<string, NumericArray>, grads: Record<string, NumericArray>): Record<string, { gradNorm: number; weightNorm: number }> {
  const out: Record<string, { gradNorm: number; weightNorm: number }> = {};
  for (const [name, p] of Object.entries(params)) out[name] = { gradNorm: grads[name] ? l2Norm(grads[name]) : 0, weightNorm: l2Norm(p) };
  return out;
}
