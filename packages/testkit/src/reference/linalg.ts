// Dense float64 kernels in PyTorch's Linear layout: a weight is `[out, in]` row-major, activations are
// `[batch, features]` row-major. Every kernel accumulates into its output, so callers compose sums
// (W_ih x + W_hh h, or gradients over timesteps) without temporaries.

/** y[b, o] += Σ_i x[b, i] · W[o, i]  (y += x Wᵀ). */
export function addMatMulTransposed(y: Float64Array, x: Float64Array, w: Float64Array, batch: number, inF: number, outF: number): void {
  for (let b = 0; b < batch; b++) {
    const xo = b * inF;
    const yo = b * outF;
    for (let o = 0; o < outF; o++) {
      const wo = o * inF;
      let s = 0;
      for (let i = 0; i < inF; i++) s += x[xo + i]! * w[wo + i]!;
      y[yo + o] = y[yo + o]! + s;
    }
  }
}

/** y[b, o] += bias[o]. */
export function addBias(y: Float64Array, bias: Float64Array, batch: number, outF: number): void {
  for (let b = 0; b < batch; b++) {
    const yo = b * outF;
    for (let o = 0; o < outF; o++) y[yo + o] = y[yo + o]! + bias[o]!;
  }
}

/** dx[b, i] += Σ_o dy[b, o] · W[o, i]  (dx += dy W): the gradient a Linear layer passes to its input. */
export function addMatMul(dx: Float64Array, dy: Float64Array, w: Float64Array, batch: number, inF: number, outF: number): void {
  for (let b = 0; b < batch; b++) {
    const xo = b * inF;
    const yo = b * outF;
    for (let o = 0; o < outF; o++) {
      const g = dy[yo + o]!;
      const wo = o * inF;
      for (let i = 0; i < inF; i++) dx[xo + i] = dx[xo + i]! + g * w[wo + i]!;
    }
  }
}

/** dW[o, i] += Σ_b dy[b, o] · x[b, i]  (dW += dyᵀ x): a Linear layer's weight gradient. */
export function addWeightGrad(dw: Float64Array, dy: Float64Array, x: Float64Array, batch: number, inF: number, outF: number): void {
  for (let b = 0; b < batch; b++) {
    const xo = b * inF;
    const yo = b * outF;
    for (let o = 0; o < outF; o++) {
      const g = dy[yo + o]!;
      const wo = o * inF;
      for (let i = 0; i < inF; i++) dw[wo + i] = dw[wo + i]! + g * x[xo + i]!;
    }
  }
}

/** db[o] += Σ_b dy[b, o]: a Linear layer's bias gradient. */
export function addBiasGrad(db: Float64Array, dy: Float64Array, batch: number, outF: number): void {
  for (let b = 0; b < batch; b++) {
    const yo = b * outF;
    for (let o = 0; o < outF; o++) db[o] = db[o]! + dy[yo + o]!;
  }
}

/** y = x Wᵀ + bias for a Linear layer, into a fresh array `[batch, outF]`. */
export function linear(x: Float64Array, w: Float64Array, bias: Float64Array, batch: number, inF: number, outF: number): Float64Array {
  const y = new Float64Array(batch * outF);
  addBias(y, bias, batch, outF);
  addMatMulTransposed(y, x, w, batch, inF, outF);
  return y;
}

/** L2 norm of a whole array, accumulated in float64 (NaN and Infinity propagate). */
export function norm(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return Math.sqrt(s);
}

/** a += b, elementwise. */
export function addInto(a: Float64Array, b: Float64Array): void {
  for (let i = 0; i < a.length; i++) a[i] = a[i]! + b[i]!;
}
