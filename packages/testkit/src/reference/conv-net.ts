import { convLayout, countDeadUnits, ShapeError, type BatchNormMode, type ConvBlockLayout, type ConvResidualSpec } from '@gradscope/core';
import {
  addZeroPadShortcutBackward,
  batchNorm2d,
  batchNorm2dBackward,
  conv2d,
  conv2dBackward,
  globalAvgPool,
  globalAvgPoolBackward,
  maps,
  maxPool2d,
  maxPool2dBackward,
  relu,
  reluBackward,
  updateRunningStats,
  zeroPadShortcut,
  type BatchNormTape,
  type Maps,
} from './conv-layers.js';
import { addBiasGrad, addInto, addMatMul, addWeightGrad, linear, norm } from './linalg.js';
import { param, type Params64 } from './params64.js';


/** conv (no bias) followed by BatchNorm, or the conv alone when `norm` is `"none"`. */
interface ConvBnTape {
  readonly input: Maps;
  readonly conv: Maps;
  readonly bn?: BatchNormTape;
  readonly output: Maps;
}

interface BlockTape {
  readonly layout: ConvBlockLayout;
  readonly input: Maps;
  readonly first: ConvBnTape;
  readonly hidden: Maps;
  readonly second: ConvBnTape;
  readonly projection?: ConvBnTape;
  readonly output: Maps;
}

export interface ConvTape {
  readonly mode: BatchNormMode;
  readonly stem: ConvBnTape;
  readonly stemAct: Maps;
  readonly pool?: { readonly argmax: Int32Array; readonly output: Maps };
  readonly blocks: BlockTape[];
  readonly pooled: Float64Array;
  /** `[batch, outputSize]`. */
  readonly output: Float64Array;
}

/** Additive perturbations of the block outputs (after the final ReLU); see `ResidualProbes`. */
export interface ConvProbes {
  readonly blockOutputs?: readonly (Float64Array | undefined)[];
}

function convBn(spec: ConvResidualSpec, params: Params64, conv: string, bn: string, x: Maps, outC: number, k: number, stride: number, pad: number, mode: BatchNormMode): ConvBnTape {
  const y = conv2d(x, param(params, `${conv}.weight`), outC, k, stride, pad);
  if (spec.norm === 'none') return { input: x, conv: y, output: y };
  if (mode === 'train' && y.n * y.h * y.w === 1) {
    // PyTorch raises here too: the biased variance of one value is 0 and the unbiased one undefined.
    throw new ShapeError(`${bn}: BatchNorm in training mode needs more than 1 value per channel, got input [${y.n}, ${y.c}, ${y.h}, ${y.w}]`);
  }
  const r = batchNorm2d(y, param(params, `${bn}.weight`), param(params, `${bn}.bias`), param(params, `${bn}.running_mean`), param(params, `${bn}.running_var`), mode === 'train');
  return { input: x, conv: y, bn: r.tape, output: r.y };
}

/** Forward pass of a conv spec (torchvision's ResNet with BasicBlocks) on NCHW input, in float64. */
export function convForward(spec: ConvResidualSpec, params: Params64, input: Float64Array, batch: number, mode: BatchNormMode, probes?: ConvProbes): ConvTape {
  const { blocks: layout } = convLayout(spec);
  const x = maps(input, batch, spec.inputChannels, spec.inputSize[0], spec.inputSize[1]);
  const c0 = spec.stages[0]!.channels;
  const stem = spec.stem === 'cifar' ? convBn(spec, params, 'conv1', 'bn1', x, c0, 3, 1, 1, mode) : convBn(spec, params, 'conv1', 'bn1', x, c0, 7, 2, 3, mode);
  const stemAct = relu(stem.output);
  let h = stemAct;
  let pool: ConvTape['pool'];
  if (spec.stem === 'imagenet') {
    const p = maxPool2d(stemAct, 3, 2, 1);
    pool = { argmax: p.argmax, output: p.y };
    h = p.y;
  }
  const blocks: BlockTape[] = [];
  layout.forEach((b, i) => {
    const first = convBn(spec, params, `${b.name}.conv1`, `${b.name}.bn1`, h, b.outChannels, 3, b.stride, 1, mode);
    const hidden = relu(first.output);
    const second = convBn(spec, params, `${b.name}.conv2`, `${b.name}.bn2`, hidden, b.outChannels, 3, 1, 1, mode);
    const sum = second.output.data.slice();
    let projection: ConvBnTape | undefined;
    if (spec.skip === 'identity') {
      if (!b.downsample) addInto(sum, h.data);
      else if (spec.shortcut === 'projection') {
        projection = convBn(spec, params, `${b.name}.downsample.0`, `${b.name}.downsample.1`, h, b.outChannels, 1, b.stride, 0, mode);
        addInto(sum, projection.output.data);
      } else addInto(sum, zeroPadShortcut(h, b.stride, b.outChannels).data);
    }
    const out = relu(maps(sum, batch, b.outChannels, b.outSize[0], b.outSize[1]));
    const probe = probes?.blockOutputs?.[i];
    if (probe) addInto(out.data, probe);
    blocks.push({ layout: b, input: h, first, hidden, second, ...(projection ? { projection } : {}), output: out });
    h = out;
  });
  const pooled = globalAvgPool(h);
  const output = linear(pooled, param(params, 'fc.weight'), param(params, 'fc.bias'), batch, h.c, spec.outputSize);
  return { mode, stem, stemAct, ...(pool ? { pool } : {}), blocks, pooled, output };
}

function convBnBackward(spec: ConvResidualSpec, params: Params64, grads: Params64, conv: string, bn: string, tape: ConvBnTape, dy: Maps, k: number, stride: number, pad: number, mode: BatchNormMode): Maps {
  let dConv = dy;
  if (tape.bn) dConv = batchNorm2dBackward(dy, tape.bn, param(params, `${bn}.weight`), param(grads, `${bn}.weight`), param(grads, `${bn}.bias`), mode === 'train');
  return conv2dBackward(dConv, tape.input, param(params, `${conv}.weight`), param(grads, `${conv}.weight`), k, stride, pad);
}

/** Units `(c, y, x)` of NCHW maps whose value is zero for every example of the batch. */
function deadUnits(m: Maps): number {
  const units = m.c * m.h * m.w;
  return countDeadUnits(m.n, units, (b, u) => m.data[b * units + u]!);
}

/**
 * Per BasicBlock, the fraction of its activation units that are zero for every example of the batch: the units
 * `(channel, y, x)` of the ReLU after bn1/conv1 and of the block output ReLU, counted together.
 */
export function convDeadUnitFractions(tape: ConvTape): number[] {
  return tape.blocks.map((t) => (deadUnits(t.hidden) + deadUnits(t.output)) / (2 * t.output.c * t.output.h * t.output.w));
}

/**
 * Exact backward of `convForward` given dL/d(output): gradients of every trainable tensor (the running statistics'
 * entries stay zero) and ||dL/d(block output)|| for each BasicBlock in network order.
 */
export function convBackward(spec: ConvResidualSpec, params: Params64, grads: Params64, tape: ConvTape, dOutput: Float64Array): number[] {
  const batch = tape.stemAct.n;
  const last = tape.blocks.length ? tape.blocks[tape.blocks.length - 1]!.output : (tape.pool?.output ?? tape.stemAct);
  addWeightGrad(param(grads, 'fc.weight'), dOutput, tape.pooled, batch, last.c, spec.outputSize);
  addBiasGrad(param(grads, 'fc.bias'), dOutput, batch, spec.outputSize);
  const dPooled = new Float64Array(batch * last.c);
  addMatMul(dPooled, dOutput, param(params, 'fc.weight'), batch, last.c, spec.outputSize);
  let dh = globalAvgPoolBackward(dPooled, last);
  const norms = new Array<number>(tape.blocks.length);
  for (let i = tape.blocks.length - 1; i >= 0; i--) {
    const t = tape.blocks[i]!;
    const b = t.layout;
    norms[i] = norm(dh.data);
    const dSum = reluBackward(dh, t.output);
    const dHidden = reluBackward(convBnBackward(spec, params, grads, `${b.name}.conv2`, `${b.name}.bn2`, t.second, dSum, 3, 1, 1, tape.mode), t.hidden);
    const dx = convBnBackward(spec, params, grads, `${b.name}.conv1`, `${b.name}.bn1`, t.first, dHidden, 3, b.stride, 1, tape.mode);
    if (spec.skip === 'identity') {
      if (!b.downsample) addInto(dx.data, dSum.data);
      else if (t.projection) addInto(dx.data, convBnBackward(spec, params, grads, `${b.name}.downsample.0`, `${b.name}.downsample.1`, t.projection, dSum, 1, b.stride, 0, tape.mode).data);
      else addZeroPadShortcutBackward(dx, dSum, b.stride);
    }
    dh = dx;
  }
  if (tape.pool) dh = maxPool2dBackward(dh, tape.pool.argmax, tape.stemAct);
  const k = spec.stem === 'cifar' ? 3 : 7;
  convBnBackward(spec, params, grads, 'conv1', 'bn1', tape.stem, reluBackward(dh, tape.stemAct), k, spec.stem === 'cifar' ? 1 : 2, spec.stem === 'cifar' ? 1 : 3, tape.mode);
  return norms;
}

/** Applies the running-statistics update of every BatchNorm that a training-mode forward used (PyTorch's side effect). */
export function updateConvRunningStats(spec: ConvResidualSpec, params: Params64, tape: ConvTape): void {
  const update = (bn: string, t: ConvBnTape | undefined): void => {
    if (t?.bn) updateRunningStats(t.bn, param(params, `${bn}.running_mean`), param(params, `${bn}.running_var`));
  };
  update('bn1', tape.stem);
  for (const t of tape.blocks) {
    update(`${t.layout.name}.bn1`, t.first);
    update(`${t.layout.name}.bn2`, t.second);
    update(`${t.layout.name}.downsample.1`, t.projection);
  }
}
