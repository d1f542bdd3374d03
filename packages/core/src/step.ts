import { clipGradients } from './clip.js';
import type { NonFinite } from './errors.js';
import { applyOptimizer, cloneOptimizerState, scanStep, updateProvablyFinite, type OptimizerState, type ParamScan, type UpdateSquares } from './optim.js';
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
  /** Set when the update was refused: weights and optimizer state are then exactly as before the call. */
  readonly nonFinite?: NonFinite;
}

/**
 * Clip -> schedule -> optimizer on plain arrays, in place: the shared training step of every backend that
 * fetches its gradients (the runtime computes the gradients; the update follows DESIGN.md exactly).
 * The one non-finite rule lives here: a step whose loss, gradients or new weights are not finite is refused.
 */
export function applyTrainingStep(
  config: TrainingConfig,
  state: OptimizerState,
  params: Record<string, NumericArray>,
  grads: Record<string, NumericArray>,
  withStats: boolean,
  loss: number,
): AppliedStep {
  // One read-only pass per parameter gives the global norm, the report's per-parameter norms and the bound below.
  const scans = scanStep(config.optimizer, state, params, grads);
  const gradSq = withStats ? Object.fromEntries(Object.entries(scans).map(([name, s]) => [name, s.gradSq])) : undefined;
  const total = Math.sqrt(Object.values(scans).reduce((a, s) => a + s.gradSq, 0));
  const lr = learningRateAt(config.schedule, config.optimizer.lr, state.step);
  const refuse = (nonFinite: NonFinite, clipCoef: number): AppliedStep => ({
    lr,
    gradNorm: total,
    clipCoef,
    nonFinite,
    ...(gradSq && { params: unchangedStats(params, gradSq) }),
  });
  if (!Number.isFinite(loss)) return refuse('loss', 1);
  // A NaN or infinite element makes the float64 total non-finite.
  if (!Number.isFinite(total)) return refuse('gradients', 1);
  const { totalNorm, coef } = clipGradients(grads, config.clip, total);
  const squares: Record<string, UpdateSquares> | undefined = gradSq ? {} : undefined;
  if (updateProvablyFinite(config.optimizer, state, clippedScans(scans, config, coef), lr)) {
    applyOptimizer(config.optimizer, state, params, grads, lr, squares);
  } else {
    // The optimizer works in place; only an update that might overflow float32 pays for copies to undo it.
    const savedState = cloneOptimizerState(state);
    const savedParams = Object.fromEntries(Object.entries(params).map(([n, p]) => [n, p.slice()]));
    applyOptimizer(config.optimizer, state, params, grads, lr, squares);
    if (!Object.values(params).every(finiteInFloat32)) {
      for (const [name, p] of Object.entries(params)) p.set(savedParams[name]!);
      state.step = savedState.step;
      state.slots = savedState.slots;
      return refuse('weights', coef);
    }
  }
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

/** Whether every value survives rounding to float32 (a float64 weight above 3.4e38 does not). */
function finiteInFloat32(a: NumericArray): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(Math.fround(a[i]!))) return false;
  return true;
}

function unchangedStats(params: Record<string, NumericArray>, gradSq: Record<string, number>): Record<string, ParamStats> {
  const stats: Record<string, ParamStats> = {};
  for (const [name, p] of Object.entries(params)) stats[name] = { gradNorm: Math.sqrt(gradSq[name] ?? 0), weightNorm: l2Norm(p), updateRatio: 0 };
  return stats;
}

/**
 * The scans with max |g| as clipping left it: norm clipping scales every gradient by `coef`, value clipping caps
 * it. (Rounding the clipped values to float32 can add one part in 2^24, inside the bound's factor-2 margin.)
 */
function clippedScans(scans: Record<string, ParamScan>, config: TrainingConfig, coef: number): Record<string, ParamScan> {
  const clip = config.clip;
  if (!clip || (clip.type === 'norm' && coef === 1)) return scans;
  const cap = (g: number): number => (clip.type === 'norm' ? g * coef : Math.min(g, clip.clipValue));
  return Object.fromEntries(Object.entries(scans).map(([name, s]) => [name, { ...s, grad: cap(s.grad) }]));
}
