import type { Activation } from '@gradscope/core';

/** PyTorch's default negative slope for leaky ReLU (tfjs's default is 0.2; DESIGN.md fixes 0.01). */
export const LEAKY_RELU_SLOPE = 0.01;

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const SQRT1_2 = Math.SQRT1_2;
/** 1/√(2π): the standard normal density at 0. */
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * The error function to within a few ulps (JavaScript has no `Math.erf`).
 * Uses erf(x) = 2/√π · e^(−x²) · Σ_n 2ⁿ x^(2n+1) / (1·3·…·(2n+1)), whose terms are all positive, so nothing
 * cancels; for |x| ≥ 6, erfc(|x|) < 2.2e-17 is below half an ulp of 1 and erf is exactly ±1 in float64.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax >= 6) return Math.sign(x);
  const x2 = ax * ax;
  let term = ax;
  let sum = ax;
  for (let n = 1; term > sum * 1e-17; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
  }
  const r = TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
  return x < 0 ? -r : r;
}

/** a = act(z), elementwise. The switch sits outside the loops: this runs for every unit of every layer. */
export function activate(act: Activation, z: Float64Array, a: Float64Array): void {
  const n = z.length;
  switch (act) {
    case 'relu':
      for (let i = 0; i < n; i++) a[i] = z[i]! < 0 ? 0 : z[i]!; // NaN stays NaN, as in PyTorch
      return;
    case 'leakyRelu':
      for (let i = 0; i < n; i++) a[i] = z[i]! > 0 ? z[i]! : z[i]! * LEAKY_RELU_SLOPE;
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) a[i] = Math.tanh(z[i]!);
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) a[i] = 1 / (1 + Math.exp(-z[i]!));
      return;
    case 'gelu':
      for (let i = 0; i < n; i++) a[i] = 0.5 * z[i]! * (1 + erf(z[i]! * SQRT1_2));
      return;
    case 'linear':
      a.set(z);
      return;
  }
}

/**
 * dz = da · act'(z), elementwise, with PyTorch's backward formulas: relu and leakyRelu take the slope of the
 * negative branch at z = 0 (0, resp. 0.01), sigmoid and tanh use their outputs `a`, gelu the exact erf form.
 */
export function activationBackward(act: Activation, z: Float64Array, a: Float64Array, da: Float64Array, dz: Float64Array): void {
  const n = z.length;
  switch (act) {
    case 'relu':
      for (let i = 0; i < n; i++) dz[i] = a[i]! <= 0 ? 0 : da[i]!;
      return;
    case 'leakyRelu':
      for (let i = 0; i < n; i++) dz[i] = z[i]! > 0 ? da[i]! : da[i]! * LEAKY_RELU_SLOPE;
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) dz[i] = da[i]! * (1 - a[i]! * a[i]!);
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) dz[i] = da[i]! * (1 - a[i]!) * a[i]!;
      return;
    case 'gelu':
      for (let i = 0; i < n; i++) {
        const x = z[i]!;
        const cdf = 0.5 * (1 + erf(x * SQRT1_2));
        const pdf = INV_SQRT_2PI * Math.exp(-0.5 * x * x);
        dz[i] = da[i]! * (cdf + x * pdf);
      }
      return;
    case 'linear':
      dz.set(da);
      return;
  }
}
