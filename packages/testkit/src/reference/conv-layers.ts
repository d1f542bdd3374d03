// Float64 kernels for convolutional nets on NCHW activations, as PyTorch defines them. Each forward returns what
// its backward needs; each backward accumulates parameter gradients and returns the gradient of its input.

/** A batch of feature maps `[n, c, h, w]`, row-major. */
export interface Maps {
  readonly data: Float64Array;
  readonly n: number;
  readonly c: number;
  readonly h: number;
  readonly w: number;
}

export function maps(data: Float64Array, n: number, c: number, h: number, w: number): Maps {
  return { data, n, c, h, w };
}

/** PyTorch's output size of a k×k window with this stride and zero padding. */
export function outSize(size: number, k: number, stride: number, pad: number): number {
  return Math.floor((size + 2 * pad - k) / stride) + 1;
}

/** `nn.Conv2d(c, o, k, stride, pad, bias=False)` with weight `[o, c, k, k]`. */
export function conv2d(x: Maps, weight: Float64Array, o: number, k: number, stride: number, pad: number): Maps {
  const ho = outSize(x.h, k, stride, pad);
  const wo = outSize(x.w, k, stride, pad);
  const y = new Float64Array(x.n * o * ho * wo);
  for (let n = 0; n < x.n; n++) {
    for (let oc = 0; oc < o; oc++) {
      for (let i = 0; i < ho; i++) {
        for (let j = 0; j < wo; j++) {
          let s = 0;
          for (let c = 0; c < x.c; c++) {
            for (let u = 0; u < k; u++) {
              const r = i * stride - pad + u;
              if (r < 0 || r >= x.h) continue;
              for (let v = 0; v < k; v++) {
                const q = j * stride - pad + v;
                if (q < 0 || q >= x.w) continue;
                s += x.data[((n * x.c + c) * x.h + r) * x.w + q]! * weight[((oc * x.c + c) * k + u) * k + v]!;
              }
            }
          }
          y[((n * o + oc) * ho + i) * wo + j] = s;
        }
      }
    }
  }
  return maps(y, x.n, o, ho, wo);
}

/** Backward of `conv2d`: adds dL/dW into `dWeight`, returns dL/dx. */
export function conv2dBackward(dy: Maps, x: Maps, weight: Float64Array, dWeight: Float64Array, k: number, stride: number, pad: number): Maps {
  const dx = new Float64Array(x.data.length);
  const o = dy.c;
  for (let n = 0; n < x.n; n++) {
    for (let oc = 0; oc < o; oc++) {
      for (let i = 0; i < dy.h; i++) {
        for (let j = 0; j < dy.w; j++) {
          const g = dy.data[((n * o + oc) * dy.h + i) * dy.w + j]!;
          if (g === 0) continue;
          for (let c = 0; c < x.c; c++) {
            for (let u = 0; u < k; u++) {
              const r = i * stride - pad + u;
              if (r < 0 || r >= x.h) continue;
              for (let v = 0; v < k; v++) {
                const q = j * stride - pad + v;
                if (q < 0 || q >= x.w) continue;
                const xi = ((n * x.c + c) * x.h + r) * x.w + q;
                const wi = ((oc * x.c + c) * k + u) * k + v;
                dWeight[wi] = dWeight[wi]! + g * x.data[xi]!;
                dx[xi] = dx[xi]! + g * weight[wi]!;
              }
            }
          }
        }
      }
    }
  }
  return maps(dx, x.n, x.c, x.h, x.w);
}

export const BN_EPS = 1e-5;
export const BN_MOMENTUM = 0.1;

/** What `batchNorm2d` used per channel: the normalized input and 1/√(var + eps). */
export interface BatchNormTape {
  readonly xhat: Float64Array;
  readonly invStd: Float64Array;
  /** Batch statistics (training mode only): mean and the unbiased variance PyTorch puts into `running_var`. */
  readonly batchMean?: Float64Array;
  readonly batchVarUnbiased?: Float64Array;
}

/**
 * `nn.BatchNorm2d` (eps 1e-5). Training mode normalizes with the batch mean and biased variance over (n, h, w);
 * evaluation mode with `runningMean` / `runningVar`. The running statistics are not changed here (see
 * `updateRunningStats`).
 */
export function batchNorm2d(x: Maps, gamma: Float64Array, beta: Float64Array, runningMean: Float64Array, runningVar: Float64Array, training: boolean): { y: Maps; tape: BatchNormTape } {
  const hw = x.h * x.w;
  const m = x.n * hw;
  const xhat = new Float64Array(x.data.length);
  const y = new Float64Array(x.data.length);
  const invStd = new Float64Array(x.c);
  const batchMean = training ? new Float64Array(x.c) : undefined;
  const batchVarUnbiased = training ? new Float64Array(x.c) : undefined;
  for (let c = 0; c < x.c; c++) {
    let mean = runningMean[c]!;
    let variance = runningVar[c]!;
    if (training) {
      let s = 0;
      for (let n = 0; n < x.n; n++) for (let p = 0; p < hw; p++) s += x.data[(n * x.c + c) * hw + p]!;
      mean = s / m;
      let ss = 0;
      for (let n = 0; n < x.n; n++) for (let p = 0; p < hw; p++) ss += (x.data[(n * x.c + c) * hw + p]! - mean) ** 2;
      variance = ss / m;
      batchMean![c] = mean;
      batchVarUnbiased![c] = m > 1 ? ss / (m - 1) : NaN;
    }
    const inv = 1 / Math.sqrt(variance + BN_EPS);
    invStd[c] = inv;
    for (let n = 0; n < x.n; n++) {
      for (let p = 0; p < hw; p++) {
        const i = (n * x.c + c) * hw + p;
        xhat[i] = (x.data[i]! - mean) * inv;
        y[i] = gamma[c]! * xhat[i]! + beta[c]!;
      }
    }
  }
  return { y: maps(y, x.n, x.c, x.h, x.w), tape: { xhat, invStd, ...(training ? { batchMean: batchMean!, batchVarUnbiased: batchVarUnbiased! } : {}) } };
}

/** PyTorch's running-statistics update after a training-mode forward: momentum 0.1, unbiased variance. */
export function updateRunningStats(tape: BatchNormTape, runningMean: Float64Array, runningVar: Float64Array): void {
  if (!tape.batchMean || !tape.batchVarUnbiased) return;
  for (let c = 0; c < runningMean.length; c++) {
    runningMean[c] = (1 - BN_MOMENTUM) * runningMean[c]! + BN_MOMENTUM * tape.batchMean[c]!;
    runningVar[c] = (1 - BN_MOMENTUM) * runningVar[c]! + BN_MOMENTUM * tape.batchVarUnbiased[c]!;
  }
}

/**
 * Backward of `batchNorm2d`: adds dL/dγ and dL/dβ, returns dL/dx. In training mode the batch statistics depend on
 * x: dx = γ·invStd·(dy − mean(dy) − x̂·mean(dy·x̂)) per channel; in evaluation mode dx = γ·invStd·dy.
 */
export function batchNorm2dBackward(dy: Maps, tape: BatchNormTape, gamma: Float64Array, dGamma: Float64Array, dBeta: Float64Array, training: boolean): Maps {
  const hw = dy.h * dy.w;
  const m = dy.n * hw;
  const dx = new Float64Array(dy.data.length);
  for (let c = 0; c < dy.c; c++) {
    let sum = 0;
    let sumXhat = 0;
    for (let n = 0; n < dy.n; n++) {
      for (let p = 0; p < hw; p++) {
        const i = (n * dy.c + c) * hw + p;
        sum += dy.data[i]!;
        sumXhat += dy.data[i]! * tape.xhat[i]!;
      }
    }
    dGamma[c] = dGamma[c]! + sumXhat;
    dBeta[c] = dBeta[c]! + sum;
    const scale = gamma[c]! * tape.invStd[c]!;
    for (let n = 0; n < dy.n; n++) {
      for (let p = 0; p < hw; p++) {
        const i = (n * dy.c + c) * hw + p;
        dx[i] = training ? scale * (dy.data[i]! - sum / m - (tape.xhat[i]! * sumXhat) / m) : scale * dy.data[i]!;
      }
    }
  }
  return maps(dx, dy.n, dy.c, dy.h, dy.w);
}

export function relu(x: Maps): Maps {
  return maps(x.data.map((v) => (v > 0 ? v : 0)), x.n, x.c, x.h, x.w);
}

/** dL/dx of ReLU given its output: the gradient passes where the output is positive. */
export function reluBackward(dy: Maps, y: Maps): Maps {
  return maps(dy.data.map((g, i) => (y.data[i]! > 0 ? g : 0)), dy.n, dy.c, dy.h, dy.w);
}

/** `nn.MaxPool2d(k, stride, pad)`: padding never wins; ties go to the first maximum in row-major order, as on PyTorch's CPU. */
export function maxPool2d(x: Maps, k: number, stride: number, pad: number): { y: Maps; argmax: Int32Array } {
  const ho = outSize(x.h, k, stride, pad);
  const wo = outSize(x.w, k, stride, pad);
  const y = new Float64Array(x.n * x.c * ho * wo);
  const argmax = new Int32Array(y.length);
  for (let nc = 0; nc < x.n * x.c; nc++) {
    for (let i = 0; i < ho; i++) {
      for (let j = 0; j < wo; j++) {
        let best = -Infinity;
        let at = -1;
        for (let u = 0; u < k; u++) {
          const r = i * stride - pad + u;
          if (r < 0 || r >= x.h) continue;
          for (let v = 0; v < k; v++) {
            const q = j * stride - pad + v;
            if (q < 0 || q >= x.w) continue;
            const idx = (nc * x.h + r) * x.w + q;
            const val = x.data[idx]!;
            if (val > best || Number.isNaN(val) || at < 0) {
              best = val;
              at = idx;
            }
          }
        }
        const o = (nc * ho + i) * wo + j;
        y[o] = best;
        argmax[o] = at;
      }
    }
  }
  return { y: maps(y, x.n, x.c, ho, wo), argmax };
}

export function maxPool2dBackward(dy: Maps, argmax: Int32Array, x: Maps): Maps {
  const dx = new Float64Array(x.data.length);
  for (let o = 0; o < dy.data.length; o++) dx[argmax[o]!] = dx[argmax[o]!]! + dy.data[o]!;
  return maps(dx, x.n, x.c, x.h, x.w);
}

/** He et al.'s option-A shortcut: `x[:, :, ::s, ::s]` with `before` zero channels ahead of the old ones, zeros after them up to `outC`. */
export function zeroPadShortcut(x: Maps, stride: number, before: number, outC: number): Maps {
  const ho = outSize(x.h, 1, stride, 0);
  const wo = outSize(x.w, 1, stride, 0);
  const y = new Float64Array(x.n * outC * ho * wo);
  for (let n = 0; n < x.n; n++) {
    for (let c = 0; c < x.c; c++) {
      for (let i = 0; i < ho; i++) {
        for (let j = 0; j < wo; j++) y[((n * outC + c + before) * ho + i) * wo + j] = x.data[((n * x.c + c) * x.h + i * stride) * x.w + j * stride]!;
      }
    }
  }
  return maps(y, x.n, outC, ho, wo);
}

/** Adds the backward of `zeroPadShortcut` into `dx`. */
export function addZeroPadShortcutBackward(dx: Maps, dy: Maps, stride: number, before: number): void {
  for (let n = 0; n < dx.n; n++) {
    for (let c = 0; c < dx.c; c++) {
      for (let i = 0; i < dy.h; i++) {
        for (let j = 0; j < dy.w; j++) {
          const xi = ((n * dx.c + c) * dx.h + i * stride) * dx.w + j * stride;
          dx.data[xi] = dx.data[xi]! + dy.data[((n * dy.c + c + before) * dy.h + i) * dy.w + j]!;
        }
      }
    }
  }
}

/** Global average pool to `[n, c]`. */
export function globalAvgPool(x: Maps): Float64Array {
  const hw = x.h * x.w;
  const y = new Float64Array(x.n * x.c);
  for (let nc = 0; nc < x.n * x.c; nc++) {
    let s = 0;
    for (let p = 0; p < hw; p++) s += x.data[nc * hw + p]!;
    y[nc] = s / hw;
  }
  return y;
}

export function globalAvgPoolBackward(dy: Float64Array, x: Maps): Maps {
  const hw = x.h * x.w;
  const dx = new Float64Array(x.data.length);
  for (let nc = 0; nc < x.n * x.c; nc++) dx.fill(dy[nc]! / hw, nc * hw, (nc + 1) * hw);
  return maps(dx, x.n, x.c, x.h, x.w);
}
