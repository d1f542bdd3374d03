import { paramShapes, type NetworkSpec } from '@gradscope/core';
import type { Params64, Tensor64 } from '../params64.js';

/** mulberry32: a tiny seeded generator, so every test draws the same numbers on every machine. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Weights drawn like PyTorch's default init: U(-1/√fan_in, 1/√fan_in) for Linear weights and biases, and
 * U(-1/√H, 1/√H) for every recurrent tensor. Values are rounded to float32 so they survive the ParamSet contract.
 */
export function torchLikeParams(spec: NetworkSpec, seed: number): Params64 {
  const next = rng(seed);
  const out: Params64 = {};
  let fanIn = 1;
  for (const p of paramShapes(spec)) {
    if (p.shape.length === 2) fanIn = p.shape[1]!; // a Linear's bias follows its weight in state_dict order
    const recurrentTensor = spec.kind === 'recurrent' && !p.name.startsWith('fc.');
    const bound = 1 / Math.sqrt(recurrentTensor ? spec.hiddenSize : fanIn);
    const n = p.shape.reduce((a, d) => a * d, 1);
    out[p.name] = Float64Array.from({ length: n }, () => Math.fround((2 * next() - 1) * bound));
  }
  return out;
}

/** A float64 tensor of U(lo, hi) values (float32-representable). */
export function uniformTensor(shape: readonly number[], seed: number, lo = -1, hi = 1): Tensor64 {
  const next = rng(seed);
  const n = shape.reduce((a, d) => a * d, 1);
  return { shape: [...shape], data: Float64Array.from({ length: n }, () => Math.fround(lo + (hi - lo) * next())) };
}

/** Integer class labels in [0, classes). */
export function labels(batch: number, classes: number, seed: number): Tensor64 {
  const next = rng(seed);
  return { shape: [batch], data: Float64Array.from({ length: batch }, () => Math.floor(next() * classes)) };
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
