import { paramShapes, planConv, runConvPlan, ShapeError, type BatchNormMode, type ConvResidualSpec, type LossName } from '@gradscope/core';
import { appendBackward } from './autodiff.js';
import { batchNormTraining } from './conv-batchnorm.js';
import { DEAD_UNIT_COUNTS, deadUnitCounts } from './conv-dead-units.js';
import { Graph } from './graph.js';
import type { ParamValue } from './residual.js';
import { CompileError, names, type CompiledModel, type CompileOptions } from './compile.js';
import { appendLoss } from './loss.js';

/** What the forward graph of a conv residual net exposes. */
export interface ConvForward {
  /** `[batch, outputSize]`. */
  readonly output: string;
  /** Each BasicBlock's output (after its final ReLU), in network order. */
  readonly blockOutputs: readonly string[];
  /** Each BasicBlock's two ReLU outputs (after bn1, and the block output), in network order. */
  readonly blockActivations: readonly (readonly [string, string])[];
  /** BN train mode: the updated `running_mean` / `running_var` of every BatchNorm, by parameter name. */
  readonly runningStats: Readonly<Record<string, string>>;
}

const EPS = 1e-5;

/**
 * torchvision's ResNet with BasicBlocks on NCHW input `x` (see `ConvResidualSpec`). BatchNorm in `eval` mode is
 * ONNX's native BatchNormalization on the running statistics (what export writes); in `train` mode it is
 * `batchNormTraining` (batch statistics, biased variance), which also yields PyTorch's running-statistics update.
 */
export function convForward(g: Graph, spec: ConvResidualSpec, x: string, p: ParamValue, mode: BatchNormMode): ConvForward {
  const runningStats: Record<string, string> = {};
  const run = runConvPlan(planConv(spec), {
    convBn: (h, unit) => {
      const { kernel: k, stride, pad } = unit;
      const y = g.op1('Conv', [h, p(`${unit.conv}.weight`)], { kernel_shape: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad] });
      const bn = unit.bn;
      if (bn === undefined) return y;
      const [weight, bias, mean, variance] = ['weight', 'bias', 'running_mean', 'running_var'].map((s) => p(`${bn}.${s}`)) as [string, string, string, string];
      if (mode === 'eval') return g.op1('BatchNormalization', [y, weight, bias, mean, variance], { epsilon: { f: EPS } });
      const [n, c, hh, ww] = g.shape(y) as [number, number, number, number];
      if (n * hh * ww === 1) throw new ShapeError(`${bn}: BatchNorm in training mode needs more than 1 value per channel, got input [${n}, ${c}, ${hh}, ${ww}]`);
      const r = batchNormTraining(g, y, weight, bias, { eps: EPS, running: { mean, variance } });
      runningStats[`${bn}.running_mean`] = r.runningMean!;
      runningStats[`${bn}.running_var`] = r.runningVariance!;
      return r.y;
    },
    relu: (h) => g.op1('Relu', [h]),
    add: (a, b) => g.op1('Add', [a, b]),
    maxPool: (h) => g.op1('MaxPool', [h], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }),
    zeroPadShortcut: (h, s, b) => zeroPadShortcut(g, h, b.layout.inChannels, b.layout.outChannels, s.stride, s.before),
    head: (h, name) => g.op1('Gemm', [g.op1('Squeeze', [g.op1('GlobalAveragePool', [h]), g.constInt64([2, 3])]), p(`${name}.weight`), p(`${name}.bias`)], { transB: 1 }),
  }, x);
  return { output: run.output, blockOutputs: run.blockOutputs, blockActivations: run.blockActivations, runningStats };
}

/**
 * He et al.'s option A, `x[:, :, ::s, ::s]` with zero channels appended, as a fixed 1×1 stride-s convolution whose
 * weight is the identity on the first `inC` output channels: exact in float32 (each output is one input times 1),
 * native in an exported model, and differentiated by the Conv rule.
 */
function zeroPadShortcut(g: Graph, x: string, inC: number, outC: number, stride: number, before: number): string {
  const eye = new Float32Array(outC * inC);
  for (let c = 0; c < inC; c++) eye[(c + before) * inC + c] = 1;
  const weight = g.constFloat(eye, [outC, inC, 1, 1]);
  return g.op1('Conv', [x, weight], { kernel_shape: [1, 1], strides: [stride, stride], pads: [0, 0, 0, 0] });
}

/**
 * ||g|| of each gradient (any shapes) as one `[n]` output, each scaled by its largest magnitude before squaring so
 * that vanishing gradients do not underflow float32 (as `normVector` does for equal shapes).
 */
function blockNorms(g: Graph, grads: readonly (string | undefined)[], like: readonly string[], name: string): void {
  const rows = grads.map((grad, i) => {
    if (!grad) return g.constFloat(0, [1]);
    const flat = g.op1('Reshape', [grad, g.constInt64([1, g.shape(like[i]!).reduce((a, b) => a * b, 1)])]);
    const max = g.op1('ReduceMax', [g.op1('Abs', [flat])], { axes: [1], keepdims: 1 });
    const scale = g.op1('Where', [g.op1('Equal', [max, g.constFloat(0)]), g.constFloat(1), max]);
    const norm = g.op1('Mul', [g.op1('ReduceL2', [g.op1('Div', [flat, scale])], { axes: [1], keepdims: 1 }), scale]);
    return g.op1('Reshape', [norm, g.constInt64([1])]);
  });
  g.output(g.rename(g.op1('Concat', rows, { axis: 0 }), name));
}

/** Graph output holding the updated value of a running statistic (BN train mode, `train` and `report` purposes). */
export const runningStatOutput = (param: string): string => `running/${param}`;

export interface ConvCompileOptions extends Pick<CompileOptions, 'purpose' | 'batch' | 'loss'> {
  readonly mode: BatchNormMode;
}

/**
 * A conv spec as one ONNX model for a purpose, batch size and BatchNorm mode: every `state_dict` tensor is a graph
 * input; `train` and `report` add the loss, the gradients of the trainable tensors and (BN train mode) the updated
 * running statistics; `report` adds the output, ||dL/d(block output)|| and the dead-unit counts per BasicBlock.
 */
export function compileConvModel(spec: ConvResidualSpec, options: ConvCompileOptions): CompiledModel {
  const { purpose, batch, mode } = options;
  const g = new Graph(`gradscope_conv_${purpose}_${mode}`);
  const shapes = paramShapes(spec);
  for (const s of shapes) g.input(s.name, s.shape);
  const x = g.input(names.input, [batch, spec.inputChannels, ...spec.inputSize]);
  const fwd = convForward(g, spec, x, (name) => name, mode);
  const fetch: string[] = [];
  const out = (value: string, name: string): void => {
    g.output(g.rename(value, name));
    fetch.push(name);
  };
  if (purpose !== 'train') out(fwd.output, names.output);
  if (purpose === 'forward') return { model: g.toModel(), fetch, opCounts: g.opCounts() };
  if (!options.loss) throw new CompileError(`purpose "${purpose}" needs a loss`);
  const loss: LossName = options.loss;
  out(appendLoss(g, loss, fwd.output, g.input(names.target, [batch, spec.outputSize]), batch), names.loss);
  for (const [param, value] of Object.entries(fwd.runningStats)) out(value, runningStatOutput(param));
  const trainable = shapes.filter((s) => s.trainable !== false);
  const back = appendBackward(g, names.loss, trainable.map((s) => s.name));
  for (const s of trainable) {
    const grad = back.gradOf(s.name) ?? g.constFloat(new Float32Array(s.shape.reduce((a, b) => a * b, 1)), s.shape);
    out(grad, names.grad(s.name));
  }
  if (purpose === 'report') {
    blockNorms(g, fwd.blockOutputs.map(back.gradOf), fwd.blockOutputs, names.blockNorms);
    deadUnitCounts(g, fwd.blockActivations.flat());
    fetch.push(names.blockNorms, DEAD_UNIT_COUNTS);
  }
  return { model: g.toModel(), fetch, opCounts: g.opCounts() };
}
