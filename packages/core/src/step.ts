import { clipGradients } from './clip.js';
import { applyOptimizer, type OptimizerState, type UpdateSquares } from './optim.js';
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
  const gradSq = withStats ? squaredNorms(grads) : undefined;
  const knownTotal = gradSq ? Math.sqrt(Object.values(gradSq).reduce((a, b) => a + b, 0)) : undefined;
  const { totalNorm, coef } = clipGradients(grads, config.clip, knownTotal);
  const lr = learningRateAt(config.schedule, config.optimizer.lr, state.step);
  const squares: Record<string, UpdateSquares> | undefined = gradSq ? {} : undefined;
  applyOptimizer(config.optimizer, state, params, grads, lr, squares);
  if (!gradSq || !squares) return { lr, gradNorm: totalNorm, clipCoef: coef };
  const stats: Record<string, ParamStats> = {};
  for (const [name, p] of Object.entries(params)) {
    // A parameter without a gradient is not updated; its weight norm is still reported.
    const { weightSq, deltaSq } = squares[name] ?? { weightSq: l2Norm(p) ** 2, deltaSq: 0 };
    const weightNorm = Math.sqrt(weightSq);
    const update = Math.sqrt(deltaSq);
    stats[name] = { gradNorm: Math.sqrt(gradSq[name] ?? 0), weightNorm, updateRatio: weightNorm === 0 ? (update === 0 ? 0 : Infinity) : update / weightNorm };
  }
  return { lr, gradNorm: totalNorm, clipCoef: coef, params: stats };
}

function squaredNorms(arrays: Record<string, NumericArray>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, a] of Object.entries(arrays)) {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
    out[name] = s;
  }
  return out;
}
