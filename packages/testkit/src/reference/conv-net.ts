import { countDeadUnits, planConv, ShapeError, type BatchNormMode, type ConvBlockPlan, type ConvResidualSpec, type ConvUnitPlan } from '@gradscope/core';
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
  readonly plan: ConvBlockPlan;
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

/** One unit of core's conv plan (the reference walks the same plan the backends run, with its own backward). */
function convBn(params: Params64, unit: ConvUnitPlan, x: Maps, mode: BatchNormMode): ConvBnTape {
  const y = conv2d(x, param(params, `${unit.conv}.weight`), unit.outChannels, unit.kernel, unit.stride, unit.pad);
  const bn = unit.bn;
  if (bn === undefined) return { input: x, conv: y, output: y };
  if (mode === 'train' && y.n * y.h * y.w === 1) {
    // PyTorch raises here too: the biased variance of one value is 0 and the unbiased one undefined.
    throw new ShapeError(`${bn}: BatchNorm in training mode needs more than 1 value per channel, got input [${y.n}, ${y.c}, ${y.h}, ${y.w}]`);
  }
  const r = batchNorm2d(y, param(params, `${bn}.weight`), param(params, `${bn}.bias`), param(params, `${bn}.running_mean`), param(params, `${bn}.running_var`), mode === 'train');
  return { input: x, conv: y, bn: r.tape, output: r.y };
}

/** Forward pass of a conv spec (torchvision's ResNet with BasicBlocks) on NCHW input, in float64. */
export function convForward(spec: ConvResidualSpec, params: Params64, input: Float64Array, batch: number, mode: BatchNormMode, probes?: ConvProbes): ConvTape {
  const plan = planConv(spec);
  const x = maps(input, batch, spec.inputChannels, spec.inputSize[0], spec.inputSize[1]);
  const stem = convBn(params, plan.stem, x, mode);
  const stemAct = relu(stem.output);
  let h = stemAct;
  let pool: ConvTape['pool'];
  if (plan.maxPool) {
    const p = maxPool2d(stemAct, 3, 2, 1);
    pool = { argmax: p.argmax, output: p.y };
    h = p.y;
  }
  const blocks: BlockTape[] = [];
  plan.blocks.forEach((b, i) => {
    const first = convBn(params, b.conv1, h, mode);
    const hidden = relu(first.output);
    const second = convBn(params, b.conv2, hidden, mode);
    const sum = second.output.data.slice();
    let projection: ConvBnTape | undefined;
    const s = b.shortcut;
    if (s.type === 'identity') addInto(sum, h.data);
    else if (s.type === 'projection') {
      projection = convBn(params, s.unit, h, mode);
      addInto(sum, projection.output.data);
    } else if (s.type === 'zeropad') addInto(sum, zeroPadShortcut(h, s.stride, s.before, b.layout.outChannels).data);
    const out = relu(maps(sum, batch, b.layout.outChannels, b.layout.outSize[0], b.layout.outSize[1]));
    const probe = probes?.blockOutputs?.[i];
    if (probe) addInto(out.data, probe);
    blocks.push({ plan: b, input: h, first, hidden, second, ...(projection ? { projection } : {}), output: out });
    h = out;
  });
  const pooled = globalAvgPool(h);
  const output = linear(pooled, param(params, 'fc.weight'), param(params, 'fc.bias'), batch, h.c, spec.outputSize);
  return { mode, stem, stemAct, ...(pool ? { pool } : {}), blocks, pooled, output };
}

function convBnBackward(params: Params64, grads: Params64, unit: ConvUnitPlan, tape: ConvBnTape, dy: Maps, mode: BatchNormMode): Maps {
  let dConv = dy;
  const bn = unit.bn;
  if (tape.bn && bn !== undefined) dConv = batchNorm2dBackward(dy, tape.bn, param(params, `${bn}.weight`), param(grads, `${bn}.weight`), param(grads, `${bn}.bias`), mode === 'train');
  const { conv, kernel, stride, pad } = unit;
  return conv2dBackward(dConv, tape.input, param(params, `${conv}.weight`), param(grads, `${conv}.weight`), kernel, stride, pad);
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
    const b = t.plan;
    norms[i] = norm(dh.data);
    const dSum = reluBackward(dh, t.output);
    const dHidden = reluBackward(convBnBackward(params, grads, b.conv2, t.second, dSum, tape.mode), t.hidden);
    const dx = convBnBackward(params, grads, b.conv1, t.first, dHidden, tape.mode);
    const s = b.shortcut;
    if (s.type === 'identity') addInto(dx.data, dSum.data);
    else if (s.type === 'projection') addInto(dx.data, convBnBackward(params, grads, s.unit, t.projection!, dSum, tape.mode).data);
    else if (s.type === 'zeropad') addZeroPadShortcutBackward(dx, dSum, s.stride, s.before);
    dh = dx;
  }
  if (tape.pool) dh = maxPool2dBackward(dh, tape.pool.argmax, tape.stemAct);
  convBnBackward(params, grads, planConv(spec).stem, tape.stem, reluBackward(dh, tape.stemAct), tape.mode);
  return norms;
}

/** Applies the running-statistics update of every BatchNorm that a training-mode forward used (PyTorch's side effect). */
export function updateConvRunningStats(spec: ConvResidualSpec, params: Params64, tape: ConvTape): void {
  const update = (bn: string, t: ConvBnTape | undefined): void => {
    if (t?.bn) updateRunningStats(t.bn, param(params, `${bn}.running_mean`), param(params, `${bn}.running_var`));
  };
  update('bn1', tape.stem);
  for (const t of tape.blocks) {
    update(`${t.plan.name}.bn1`, t.first);
    update(`${t.plan.name}.bn2`, t.second);
    update(`${t.plan.name}.downsample.1`, t.projection);
  }
}
