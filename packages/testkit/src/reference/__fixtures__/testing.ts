import { createRng, initParams, type NetworkSpec } from '@gradscope/core';
import type { Params64, Tensor64 } from '../params64.js';

/** core's seeded PyTorch-default init (float32 values), widened to float64. */
export function initParams64(spec: NetworkSpec, seed: number): Params64 {
  const out: Params64 = {};
  for (const [name, t] of Object.entries(initParams(spec, { seed, scheme: 'pytorch' }))) out[name] = Float64Array.from(t.data);
  return out;
}

/** A float64 tensor of U(lo, hi) values (float32-representable). */
export function uniformTensor(shape: readonly number[], seed: number, lo = -1, hi = 1): Tensor64 {
  const rng = createRng(seed);
  const n = shape.reduce((a, d) => a * d, 1);
  return { shape: [...shape], data: Float64Array.from({ length: n }, () => Math.fround(rng.uniform(lo, hi))) };
}

/** Integer class labels in [0, classes). */
export function labels(batch: number, classes: number, seed: number): Tensor64 {
  const rng = createRng(seed);
  return { shape: [batch], data: Float64Array.from({ length: batch }, () => rng.int(classes)) };
}

/**
 * Fourth-order central finite differences of `f` with respect to every entry of `x` (perturbed in place, then
 * restored): (8(f(x+h) − f(x−h)) − (f(x+2h) − f(x−2h))) / 12h. Truncation error is O(h⁴), so a larger h keeps
 * rounding noise (~ε·|f|/h) small enough to resolve the small gradients of deep nets.
 */
export function finiteDifferences(f: () => number, x: Float64Array, h = 1e-4): Float64Array {
  const g = new Float64Array(x.length);
  const at = (i: number, v: number): number => {
    x[i] = v;
    return f();
  };
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    const d1 = at(i, v + h) - at(i, v - h);
    const d2 = at(i, v + 2 * h) - at(i, v - 2 * h);
    x[i] = v;
    g[i] = (8 * d1 - d2) / (12 * h);
  }
  return g;
}

export function l2(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return Math.sqrt(s);
}
