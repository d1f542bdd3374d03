import * as tf from '@tensorflow/tfjs';
import { convLayout, convOutSize, planConv, runConvPlan, ShapeError, type BatchNormMode, type ConvResidualSpec } from '@gradscope/core';

/** Weights by PyTorch name in PyTorch layout (conv `[out, in, kh, kw]`, fc `[out, in]`); layouts change inside the graph. */
export type ConvWeights = Readonly<Record<string, tf.Tensor>>;

export const BN_EPS = 1e-5;
export const BN_MOMENTUM = 0.1;

/** One training-mode BatchNorm's batch statistics: what PyTorch folds into `running_mean` / `running_var`. */
export interface BatchStats {
  readonly name: string;
  readonly mean: tf.Tensor1D;
  readonly varUnbiased: tf.Tensor1D;
}

export interface ConvTrace {
  /** `[batch, outputSize]`. */
  readonly output: tf.Tensor2D;
  /** Training mode only, one entry per BatchNorm in `state_dict` order. */
  readonly batchStats: BatchStats[];
  /** Per BasicBlock, its two ReLU outputs (after bn1, and the block output before any probe), NHWC. */
  readonly blockActivations: [tf.Tensor4D, tf.Tensor4D][];
}

/**
 * `nn.Conv2d(bias=False)` on NHWC activations: the PyTorch kernel `[o, i, kh, kw]` becomes tfjs' `[kh, kw, i, o]`,
 * and the padding is PyTorch's symmetric zero padding (tfjs' "same" pads asymmetrically for even sizes and strides):
 * a number given to tf.conv2d at stride 1 (no pad + slice pair in the graph: measured faster on wasm), an explicit
 * tf.pad before a "valid" convolution otherwise.
 */
function conv(x: tf.Tensor4D, weight: tf.Tensor, stride: number, pad: number): tf.Tensor4D {
  const kernel = tf.transpose(weight, [2, 3, 1, 0]) as tf.Tensor4D;
  if (stride === 1) return convWithGradient(x, kernel, 1, pad);
  const padded = pad > 0 ? tf.pad(x, [[0, 0], [pad, pad], [pad, pad], [0, 0]]) : x;
  return convWithGradient(padded, kernel, stride, 0);
}

/**
 * `tf.conv2d(x, kernel, stride, pad)` for a square kernel, with a gradient that every backend can run:
 * tfjs-backend-wasm 4.22 has no `Conv2DBackpropFilter` kernel. dL/dkernel[u, v, i, o] = Σ xpad[n, y·s+u, x·s+v, i] ·
 * dy[n, y, x, o] is itself a convolution, of the padded input with channels and batch swapped by dy as the filter,
 * dilated by the stride, cut to the kernel size (padded explicitly: tfjs' numeric padding computes the output width
 * of a non-square filter from its height). dL/dx is a convolution of dy with the kernel flipped in space and in/out
 * swapped at stride 1 (`tf.conv2dTranspose` gives the same numbers ~5x slower on wasm), the transposed convolution
 * otherwise.
 */
function convWithGradient(x: tf.Tensor4D, kernel: tf.Tensor4D, stride: number, pad: number): tf.Tensor4D {
  // tf.customGrad passes the inputs and then the save function as one rest list.
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xs, ws, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
    save([xs, ws]);
    return {
      value: tf.conv2d(xs, ws, stride, pad),
      gradFunc: (dy, saved) => {
        const [xSaved, wSaved] = saved as [tf.Tensor4D, tf.Tensor4D];
        const g = dy as tf.Tensor4D;
        const [kh, kw] = wSaved.shape;
        const dx =
          stride === 1
            ? tf.conv2d(g, tf.transpose(tf.reverse(wSaved, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D, 1, kh - 1 - pad)
            : tf.conv2dTranspose(g, wSaved, xSaved.shape, stride, 'valid');
        const xp = pad > 0 ? tf.pad(xSaved, [[0, 0], [pad, pad], [pad, pad], [0, 0]]) : xSaved;
        return [dx, kernelGradient(xp, g, kh, kw, stride)];
      },
    };
  });
  return op(x, kernel) as tf.Tensor4D;
}

/** Products each float32 sum of dL/dkernel may add up (see kernelGradient). */
const MAX_KERNEL_GRADIENT_TERMS = 2048;

/**
 * dL/dkernel `[kh, kw, i, o]` from the padded input and dy. One convolution sums n·ho·wo products per weight, in
 * float32 and in sequence on wasm: for the 28×28 stem at batch 32 that is 25,088 terms, 1.6e-4 off the reference.
 * The batch is cut into chunks of at most MAX_KERNEL_GRADIENT_TERMS products and the partial gradients added.
 */
function kernelGradient(xp: tf.Tensor4D, dy: tf.Tensor4D, kh: number, kw: number, stride: number): tf.Tensor4D {
  const [n, ho, wo] = dy.shape;
  const chunk = Math.max(1, Math.floor(MAX_KERNEL_GRADIENT_TERMS / (ho * wo)));
  const parts: tf.Tensor4D[] = [];
  for (let start = 0; start < n; start += chunk) {
    const size = Math.min(chunk, n - start);
    const x = size === n ? xp : tf.slice(xp, [start, 0, 0, 0], [size, -1, -1, -1]);
    const g = size === n ? dy : tf.slice(dy, [start, 0, 0, 0], [size, -1, -1, -1]);
    const swapped = tf.transpose(x, [3, 1, 2, 0]) as tf.Tensor4D; // [i, H, W, n]
    const dyFilter = tf.transpose(g, [1, 2, 0, 3]) as tf.Tensor4D; // [ho, wo, n, o]
    const full = tf.conv2d(swapped, dyFilter, 1, 'valid', 'NHWC', stride); // [i, >= kh, >= kw, o]
    parts.push(full.shape[1] !== kh || full.shape[2] !== kw ? tf.slice(full, [0, 0, 0, 0], [-1, kh, kw, -1]) : full);
  }
  const sum = parts.length === 1 ? parts[0]! : (tf.addN(parts) as tf.Tensor4D);
  return tf.transpose(sum, [1, 2, 0, 3]);
}

function batchNorm(w: ConvWeights, name: string, y: tf.Tensor4D, mode: BatchNormMode, stats: BatchStats[]): tf.Tensor4D {
  const gamma = w[`${name}.weight`]!;
  const beta = w[`${name}.bias`]!;
  if (mode === 'eval') {
    const scale = tf.mul(gamma, tf.rsqrt(tf.add(w[`${name}.running_var`]!, BN_EPS)));
    return tf.add(tf.mul(tf.sub(y, w[`${name}.running_mean`]!), scale), beta);
  }
  const [n, h, wd] = y.shape;
  const m = n * h * wd; // > 1: checkBatchNormSizes ran before the pass
  // The statistics are computed outside the custom op so they outlive it (trainStep folds them into the running
  // ones); the op's gradient below already accounts for their dependence on y.
  const mean = tf.div(channelSum(y), m) as tf.Tensor1D;
  const variance = tf.div(channelSum(tf.square(tf.sub(y, mean)) as tf.Tensor4D), m) as tf.Tensor1D;
  stats.push({ name, mean, varUnbiased: tf.mul(variance, m / (m - 1)) as tf.Tensor1D });
  const rstd = tf.rsqrt(tf.add(variance, BN_EPS));
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [ys, gs, bs, save] = args as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const normalized = tf.mul(tf.sub(ys, mean), rstd) as tf.Tensor4D;
    save([normalized, rstd, gs]);
    return {
      value: tf.add(tf.mul(normalized, gs), bs),
      // PyTorch's closed form: dy = γ·rstd/m · (m·dout − Σdout − x̂·Σ(dout·x̂)); dγ = Σ(dout·x̂), dβ = Σdout.
      gradFunc: (dy, saved) => {
        const [xhat, r, g] = saved as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D];
        const dout = dy as tf.Tensor4D;
        const dBeta = channelSum(dout);
        const dGamma = channelSum(tf.mul(dout, xhat) as tf.Tensor4D);
        const inner = tf.sub(tf.sub(tf.mul(dout, m), dBeta), tf.mul(xhat, dGamma));
        return [tf.mul(inner, tf.div(tf.mul(g, r), m)), dGamma, dBeta];
      },
    };
  });
  return op(y, gamma, beta) as tf.Tensor4D;
}

/**
 * Σ over N, H and W of an NHWC tensor, one axis at a time. tfjs-backend-wasm sums in float32 in sequence, so one
 * sum over N·H·W terms loses the digits of a cancelling gradient sum (BatchNorm's Σdout in a deep plain net measured
 * 0.2 off the float64 reference); three short sums keep them.
 */
function channelSum(t: tf.Tensor4D): tf.Tensor1D {
  return tf.sum(tf.sum(tf.sum(t, 2), 1), 0);
}

/**
 * Core's conv plan (torchvision's ResNet with BasicBlocks) in tf ops. Input is NCHW as in PyTorch and is transposed to
 * NHWC once. With `probes` (one zero NHWC tensor per BasicBlock) each block output is `relu(...) + probe`, so the
 * gradient with respect to a probe is dL/d(block output), as in the reference.
 */
export function convForward(spec: ConvResidualSpec, w: ConvWeights, input: tf.Tensor4D, mode: BatchNormMode, probes?: readonly tf.Tensor[]): ConvTrace {
  const stats: BatchStats[] = [];
  const run = runConvPlan<tf.Tensor>(planConv(spec), {
    convBn: (x, unit) => {
      const y = conv(x as tf.Tensor4D, w[`${unit.conv}.weight`]!, unit.stride, unit.pad);
      return unit.bn === undefined ? y : batchNorm(w, unit.bn, y, mode, stats);
    },
    relu: (x) => tf.relu(x),
    add: (a, b) => tf.add(a, b),
    // nn.MaxPool2d(3, 2, padding=1): padding never wins, so pad with -Infinity and pool without padding.
    maxPool: (x) => tf.maxPool(tf.pad(x as tf.Tensor4D, [[0, 0], [1, 1], [1, 1], [0, 0]], -Infinity), 3, 2, 'valid'),
    zeroPadShortcut: (x, s) => zeroPadShortcut(x as tf.Tensor4D, s.stride, s.before, s.after),
    head: (x, name) => tf.add(tf.matMul(tf.mean(x, [1, 2]) as tf.Tensor2D, w[`${name}.weight`] as tf.Tensor2D, false, true), w[`${name}.bias`]!),
  }, tf.transpose(input, [0, 2, 3, 1]), probes);
  return { output: run.output as tf.Tensor2D, batchStats: stats, blockActivations: run.blockActivations.map(([a, b]) => [a as tf.Tensor4D, b as tf.Tensor4D]) };
}

/**
 * He et al.'s option-A shortcut `x[:, :, ::s, ::s]` with zero channels appended. The subsampling pads H and W up to
 * multiples of s, splits each into (H/s, s) and keeps offset 0: reshape, pad and slice have gradients on every
 * backend (tfjs' strided slice has none, and wasm's 1×1 strided max-pool gradient was measured wrong).
 */
function zeroPadShortcut(x: tf.Tensor4D, stride: number, before: number, after: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  let sub = x;
  if (stride > 1) {
    const ho = Math.ceil(h / stride);
    const wo = Math.ceil(w / stride);
    const padded = tf.pad(x, [[0, 0], [0, ho * stride - h], [0, wo * stride - w], [0, 0]]);
    const split = tf.reshape(padded, [n, ho, stride, wo, stride * c]);
    sub = tf.reshape(tf.slice(split, [0, 0, 0, 0, 0], [n, ho, 1, wo, c]), [n, ho, wo, c]);
  }
  return before + after > 0 ? tf.pad(sub, [[0, 0], [0, 0], [0, 0], [before, after]]) : sub;
}

/** NHWC shape of every BasicBlock output (the probes' shapes). */
export function blockOutputShapes(spec: ConvResidualSpec, batch: number): [number, number, number, number][] {
  return convLayout(spec).blocks.map((b) => [batch, b.outSize[0], b.outSize[1], b.outChannels]);
}

/**
 * Training-mode BatchNorm needs more than one value per channel (PyTorch raises too: the unbiased variance of one
 * value is undefined). Checked from the shapes before any tensor exists, so a bad batch throws a `ShapeError`
 * without leaving a half-built gradient tape behind.
 */
export function checkBatchNormSizes(spec: ConvResidualSpec, batch: number, mode: BatchNormMode): void {
  if (spec.norm !== 'batch' || mode !== 'train') return;
  const [k, s, p] = spec.stem === 'cifar' ? [3, 1, 1] : [7, 2, 3];
  const layers: [string, number, readonly number[]][] = [['bn1', spec.stages[0]!.channels, spec.inputSize.map((d) => convOutSize(d, k, s, p))]];
  for (const b of convLayout(spec).blocks) layers.push([`${b.name}.bn1`, b.outChannels, b.outSize]);
  for (const [name, c, [h, w]] of layers) {
    if (batch * h! * w! === 1) throw new ShapeError(`${name}: BatchNorm in training mode needs more than 1 value per channel, got input [${batch}, ${c}, ${h}, ${w}]`);
  }
}
