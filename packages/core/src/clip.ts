import type { ClipSpec } from './training.js';
import type { NumericArray } from './tensor.js';

export interface ClipResult {
  /** Total 2-norm over every gradient before clipping (reported even when no clipping is configured). */
  readonly totalNorm: number;
  /** The factor applied: `min(1, maxNorm / (totalNorm + 1e-6))` for norm clipping, 1 otherwise. */
  readonly coef: number;
}

/** Total L2 norm over all gradients, accumulated in float64. */
export function globalNorm(grads: Iterable<NumericArray>): number {
  let s = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) s += g[i]! * g[i]!;
  return Math.sqrt(s);
}

/**
 * Clips gradients in place with `clip_grad_norm_` / `clip_grad_value_` semantics. `totalNorm` may be passed when
 * the caller has already summed the squares (a monitored step does, per parameter), to save a pass.
 */
export function clipGradients(grads: Record<string, NumericArray>, clip: ClipSpec | undefined, totalNorm = globalNorm(Object.values(grads))): ClipResult {
  const all = Object.values(grads);
  if (!clip) return { totalNorm, coef: 1 };
  if (clip.type === 'norm') {
    const coef = Math.min(1, clip.maxNorm / (totalNorm + 1e-6));
    if (coef < 1) for (const g of all) for (let i = 0; i < g.length; i++) g[i] = g[i]! * coef;
    return { totalNorm, coef };
  }
  const v = clip.clipValue;
  for (const g of all) for (let i = 0; i < g.length; i++) g[i] = Math.min(v, Math.max(-v, g[i]!));
  return { totalNorm, coef: 1 };
}
