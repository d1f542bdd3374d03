import { GradscopeError } from '@gradscope/core';
import { Graph, GraphError, windowAttrs, type Node } from './graph.js';

/** The forward graph uses an op the backward generator has no rule for. */
export class NoGradientRuleError extends GradscopeError {
  readonly opType: string;
  constructor(opType: string) {
    super('NO_GRADIENT_RULE', `no gradient rule for ONNX op "${opType}" (rules exist for: ${Object.keys(rules).sort().join(', ')})`);
    this.opType = opType;
  }
}

/**
 * One reverse-mode rule: given the node and the gradients of its outputs (undefined where an output does not
 * reach the loss), adds backward nodes to the graph and returns the gradient of each input (undefined where the
 * input needs none). Rules see static shapes through the graph.
 */
type Rule = (g: Graph, node: Node, outGrads: readonly (string | undefined)[], needs: readonly boolean[]) => (string | undefined)[];

const SQRT_2_OVER_PI = 2 / Math.sqrt(Math.PI);

function intAttr(node: Node, name: string, fallback: number): number {
  const v = node.attrs[name];
  return typeof v === 'number' ? v : fallback;
}

function floatAttr(node: Node, name: string, fallback: number): number {
  const v = node.attrs[name];
  return typeof v === 'object' && v !== null && 'f' in v ? v.f : fallback;
}

function zerosLike(g: Graph, value: string): string {
  const shape = g.shape(value);
  return g.constFloat(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
}

/**
 * ReduceSum over `axes` (dims kept), one axis at a time. onnxruntime sums in float32 in sequence, so one sum over
 * N·H·W terms loses the digits of a cancelling gradient sum (BatchNorm's in a deep plain net); short sums keep them.
 */
export function sumAxes(g: Graph, t: string, axes: readonly number[]): string {
  return [...axes].sort((a, b) => b - a).reduce((acc, axis) => g.op1('ReduceSum', [acc, g.constInt64([axis])], { keepdims: 1 }), t);
}

/** Sums a broadcast gradient back to the shape of the operand it came from. */
export function unbroadcast(g: Graph, grad: string, target: readonly number[]): string {
  const gs = g.shape(grad);
  if (gs.length === target.length && gs.every((d, i) => d === target[i])) return grad;
  const lead = gs.length - target.length;
  const axes: number[] = [];
  gs.forEach((d, i) => {
    if (i < lead || (target[i - lead] === 1 && d !== 1)) axes.push(i);
  });
  return g.op1('Reshape', [sumAxes(g, grad, axes), g.constInt64([...target])]);
}

function first(node: Node, i = 0): string {
  return node.inputs[i]!;
}

function unary(f: (g: Graph, gy: string, x: string, y: string, node: Node) => string): Rule {
  return (g, node, [gy]) => [f(g, gy!, first(node), node.outputs[0]!, node)];
}

/** Gradient of a reduction: reshape to the kept-dims shape, then expand to the input's shape. */
function reduceGrad(g: Graph, gy: string, x: string, axes: readonly number[] | undefined): string {
  const xs = g.shape(x);
  const set = new Set((axes && axes.length ? axes : xs.map((_, i) => i)).map((a) => (a < 0 ? a + xs.length : a)));
  const kept = xs.map((d, i) => (set.has(i) ? 1 : d));
  return g.op1('Expand', [g.op1('Reshape', [gy, g.constInt64(kept)]), g.constInt64(xs)]);
}

function reducedCount(g: Graph, x: string, axes: readonly number[] | undefined): number {
  const xs = g.shape(x);
  if (!axes || axes.length === 0) return xs.reduce((a, b) => a * b, 1);
  return axes.reduce((n, a) => n * xs[a < 0 ? a + xs.length : a]!, 1);
}

/** `[1, C, 1, ...]`: a per-channel vector shaped to broadcast against an `[N, C, ...]` tensor. */
function perChannel(g: Graph, v: string, rank: number): string {
  return g.op1('Reshape', [v, g.constInt64([1, -1, ...new Array<number>(rank - 2).fill(1)])]);
}

/** Sum over every axis but the channel axis 1 of an `[N, C, ...]` tensor, giving `[C]`. */
function sumPerChannel(g: Graph, t: string): string {
  const rank = g.shape(t).length;
  const summed = sumAxes(g, t, [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2)]);
  return g.op1('Reshape', [summed, g.constInt64([g.shape(t)[1]!])]);
}

/** Swaps the batch and channel axes of an `[N, C, ...]` tensor. */
function swapBatchChannel(g: Graph, t: string): string {
  const rank = g.shape(t).length;
  return g.op1('Transpose', [t], { perm: [1, 0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2)] });
}

/**
 * Conv (group 1): dX is the transposed convolution of dY with the same weight; dW[m, c, k] = sum over n and output
 * positions o of dY[n, m, o] * Xpad[n, c, o*s + k*d], which is a Conv of X (batch and channel swapped) with dY as
 * the kernel, its stride and dilation exchanged; dB sums dY per channel.
 */
const convRule: Rule = (g, node, [gy], needs) => {
  if (intAttr(node, 'group', 1) !== 1) throw new GraphError('Conv gradient: only group 1 is supported');
  const [x, w] = [first(node), first(node, 1)];
  const xs = g.shape(x);
  const ws = g.shape(w);
  const rank = xs.length - 2;
  const win = windowAttrs(node.attrs, 'Conv', rank, ws.slice(2));
  const ys = g.shape(gy!).slice(2);
  let dx: string | undefined;
  if (needs[0]) {
    // Positions past the last window's reach get no gradient; output_padding restores them.
    const reach = ys.map((n, i) => win.strides[i]! * (n - 1) + win.span(i) - win.pads[i]! - win.pads[i + rank]!);
    dx = g.op1('ConvTranspose', [gy!, w], {
      kernel_shape: win.kernel,
      strides: win.strides,
      pads: win.pads,
      dilations: win.dilations,
      output_padding: reach.map((r, i) => xs[i + 2]! - r),
    });
  }
  let dw: string | undefined;
  if (needs[1]) {
    const full = g.op1('Conv', [swapBatchChannel(g, x), swapBatchChannel(g, gy!)], {
      kernel_shape: ys,
      strides: win.dilations,
      dilations: win.strides,
      pads: win.pads,
    });
    // The padded input may extend past the last window: keep the first k taps.
    const axes = Array.from({ length: rank }, (_, i) => i + 2);
    const taps = g.op1('Slice', [full, g.constInt64(axes.map(() => 0)), g.constInt64([...win.kernel]), g.constInt64(axes)]);
    dw = swapBatchChannel(g, taps);
  }
  const db = node.inputs[2] && needs[2] ? sumPerChannel(g, gy!) : undefined;
  return [dx, dw, db];
};

/** BatchNormalization in its inference form: y = scale * (x - mean) / sqrt(var + eps) + B, per channel. */
const batchNormRule: Rule = (g, node, [gy], needs) => {
  const [x, scale, , mean, variance] = node.inputs as [string, string, string, string, string];
  const rank = g.shape(x).length;
  const invStd = g.op1('Div', [g.constFloat(1), g.op1('Sqrt', [g.op1('Add', [variance, g.constFloat(floatAttr(node, 'epsilon', 1e-5))])])]);
  const gain = g.op1('Mul', [scale, invStd]);
  const sumGy = needs[2] || needs[3] ? sumPerChannel(g, gy!) : undefined;
  const sumGyCentered = needs[1] || needs[4] ? sumPerChannel(g, g.op1('Mul', [gy!, g.op1('Sub', [x, perChannel(g, mean, rank)])])) : undefined;
  return [
    needs[0] ? g.op1('Mul', [gy!, perChannel(g, gain, rank)]) : undefined,
    needs[1] ? g.op1('Mul', [sumGyCentered!, invStd]) : undefined,
    needs[2] ? sumGy : undefined,
    needs[3] ? g.op1('Neg', [g.op1('Mul', [sumGy!, gain])]) : undefined,
    // d/dvar of (var + eps)^(-1/2) is -(1/2) invStd^3
    needs[4] ? g.op1('Mul', [sumGyCentered!, g.op1('Mul', [gain, g.op1('Mul', [g.op1('Mul', [invStd, invStd]), g.constFloat(-0.5)])])]) : undefined,
  ];
};

/**
 * MaxPool: each output's gradient goes to the input element its window took the max from (onnxruntime's index
 * output, the first maximum in scan order on ties, as in PyTorch), summed where windows overlap.
 */
const maxPoolRule: Rule = (g, node, [gy]) => {
  if (intAttr(node, 'storage_order', 0) !== 0) throw new GraphError('MaxPool gradient: only storage_order 0 is supported');
  const x = first(node);
  const xs = g.shape(x);
  const indices = node.outputs[1] ?? g.op('MaxPool', [x], node.attrs, 2)[1]!;
  const size = xs.reduce((a, b) => a * b, 1);
  const flat = g.constInt64([-1]);
  const zeros = g.op1('Expand', [g.constFloat(0), g.constInt64([size])]);
  const scattered = g.op1('ScatterElements', [zeros, g.op1('Reshape', [indices, flat]), g.op1('Reshape', [gy!, flat])], { axis: 0, reduction: 'add' });
  return [g.op1('Reshape', [scattered, g.constInt64(xs)])];
};

const rules: Record<string, Rule> = {
  Identity: unary((_g, gy) => gy),
  Neg: unary((g, gy) => g.op1('Neg', [gy])),
  Add: (g, node, [gy]) => node.inputs.map((x) => unbroadcast(g, gy!, g.shape(x))),
  Sub: (g, node, [gy], needs) => [
    unbroadcast(g, gy!, g.shape(first(node))),
    needs[1] ? unbroadcast(g, g.op1('Neg', [gy!]), g.shape(first(node, 1))) : undefined,
  ],
  Mul: (g, node, [gy], needs) => {
    const [a, b] = [first(node), first(node, 1)];
    return [
      needs[0] ? unbroadcast(g, g.op1('Mul', [gy!, b]), g.shape(a)) : undefined,
      needs[1] ? unbroadcast(g, g.op1('Mul', [gy!, a]), g.shape(b)) : undefined,
    ];
  },
  Div: (g, node, [gy], needs) => {
    const [a, b] = [first(node), first(node, 1)];
    const ga = g.op1('Div', [gy!, b]);
    return [
      needs[0] ? unbroadcast(g, ga, g.shape(a)) : undefined,
      // d(a/b)/db = -(a/b)/b, so dL/db = -(dL/dy / b) * y
      needs[1] ? unbroadcast(g, g.op1('Neg', [g.op1('Mul', [ga, node.outputs[0]!])]), g.shape(b)) : undefined,
    ];
  },
  Relu: unary((g, gy, _x, y) => g.op1('Mul', [gy, g.op1('Sign', [y])])),
  LeakyRelu: unary((g, gy, x, _y, node) => {
    const alpha = floatAttr(node, 'alpha', 0.01);
    const positive = g.op1('Greater', [x, g.constFloat(0)]);
    return g.op1('Where', [positive, gy, g.op1('Mul', [gy, g.constFloat(alpha)])]);
  }),
  Tanh: unary((g, gy, _x, y) => g.op1('Mul', [gy, g.op1('Sub', [g.constFloat(1), g.op1('Mul', [y, y])])])),
  Sigmoid: unary((g, gy, _x, y) => g.op1('Mul', [gy, g.op1('Mul', [y, g.op1('Sub', [g.constFloat(1), y])])])),
  Erf: unary((g, gy, x) => {
    const bump = g.op1('Exp', [g.op1('Neg', [g.op1('Mul', [x, x])])]);
    return g.op1('Mul', [gy, g.op1('Mul', [bump, g.constFloat(SQRT_2_OVER_PI)])]);
  }),
  Exp: unary((g, gy, _x, y) => g.op1('Mul', [gy, y])),
  Log: unary((g, gy, x) => g.op1('Div', [gy, x])),
  Sqrt: unary((g, gy, _x, y) => g.op1('Div', [gy, g.op1('Mul', [y, g.constFloat(2)])])),
  Gemm: (g, node, [gy], needs) => {
    if (floatAttr(node, 'alpha', 1) !== 1 || floatAttr(node, 'beta', 1) !== 1) throw new GraphError('Gemm gradient: only alpha = beta = 1');
    const [a, b, c] = node.inputs;
    const tA = intAttr(node, 'transA', 0);
    const tB = intAttr(node, 'transB', 0);
    // Y = op(A) op(B) + C
    const da = !needs[0] ? undefined : tA ? g.op1('Gemm', [b!, gy!], { transA: tB, transB: 1 }) : g.op1('Gemm', [gy!, b!], { transB: tB ? 0 : 1 });
    const db = !needs[1] ? undefined : tB ? g.op1('Gemm', [gy!, a!], { transA: 1, transB: tA }) : g.op1('Gemm', [a!, gy!], { transA: tA ? 0 : 1 });
    const dc = c && needs[2] ? unbroadcast(g, gy!, g.shape(c)) : undefined;
    return [da, db, dc];
  },
  MatMul: (g, node, [gy], needs) => [
    needs[0] ? g.op1('Gemm', [gy!, first(node, 1)], { transB: 1 }) : undefined,
    needs[1] ? g.op1('Gemm', [first(node), gy!], { transA: 1 }) : undefined,
  ],
  Split: (g, node, outGrads) => {
    const parts = node.outputs.map((o, i) => outGrads[i] ?? zerosLike(g, o));
    return [g.op1('Concat', parts, { axis: intAttr(node, 'axis', 0) })];
  },
  Concat: (g, node, [gy], needs) => {
    const x = g.shape(first(node));
    const axis = ((a) => (a < 0 ? a + x.length : a))(intAttr(node, 'axis', 0));
    let offset = 0;
    return node.inputs.map((input, i) => {
      const n = g.shape(input)[axis]!;
      const start = offset;
      offset += n;
      if (!needs[i]) return undefined;
      return g.op1('Slice', [gy!, g.constInt64([start]), g.constInt64([start + n]), g.constInt64([axis])]);
    });
  },
  Slice: (g, node, [gy]) => {
    const x = g.shape(first(node));
    const starts = g.intValues(first(node, 1))!;
    const ends = g.intValues(first(node, 2))!;
    const axes = node.inputs[3] ? g.intValues(first(node, 3))! : starts.map((_, i) => i);
    if (node.inputs[4]) throw new GraphError('Slice gradient: steps are not supported');
    const pads = new Array<number>(2 * x.length).fill(0);
    axes.forEach((a, i) => {
      const ax = a < 0 ? a + x.length : a;
      const n = x[ax]!;
      const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + n : v, 0), n);
      const s = clamp(starts[i]!);
      pads[ax] = s;
      pads[ax + x.length] = n - Math.max(clamp(ends[i]!), s);
    });
    return [g.op1('Pad', [gy!, g.constInt64(pads)])];
  },
  Reshape: (g, node, [gy]) => [g.op1('Reshape', [gy!, g.constInt64(g.shape(first(node)))]), undefined],
  Squeeze: (g, node, [gy]) => [g.op1('Reshape', [gy!, g.constInt64(g.shape(first(node)))]), undefined],
  Unsqueeze: (g, node, [gy]) => [g.op1('Reshape', [gy!, g.constInt64(g.shape(first(node)))]), undefined],
  Transpose: (g, node, [gy]) => {
    const rank = g.shape(first(node)).length;
    const permAttr = node.attrs.perm;
    const perm = Array.isArray(permAttr) ? (permAttr as number[]) : [...Array(rank).keys()].reverse();
    const inverse = new Array<number>(rank);
    perm.forEach((p, i) => (inverse[p] = i));
    return [g.op1('Transpose', [gy!], { perm: inverse })];
  },
  Softmax: unary((g, gy, _x, y, node) => {
    const axis = intAttr(node, 'axis', -1);
    const dot = g.op1('ReduceSum', [g.op1('Mul', [gy, y]), g.constInt64([axis])], { keepdims: 1 });
    return g.op1('Mul', [y, g.op1('Sub', [gy, dot])]);
  }),
  LogSoftmax: unary((g, gy, _x, y, node) => {
    const axis = intAttr(node, 'axis', -1);
    const total = g.op1('ReduceSum', [gy, g.constInt64([axis])], { keepdims: 1 });
    return g.op1('Sub', [gy, g.op1('Mul', [g.op1('Exp', [y]), total])]);
  }),
  ReduceSum: (g, node, [gy]) => {
    const axes = node.inputs[1] ? g.intValues(first(node, 1)) : undefined;
    return [reduceGrad(g, gy!, first(node), axes), undefined];
  },
  ReduceMean: (g, node, [gy]) => {
    const axesAttr = node.attrs.axes;
    const axes = Array.isArray(axesAttr) ? (axesAttr as number[]) : undefined;
    const n = reducedCount(g, first(node), axes);
    return [g.op1('Div', [reduceGrad(g, gy!, first(node), axes), g.constFloat(n)])];
  },
  Expand: (g, node, [gy]) => [unbroadcast(g, gy!, g.shape(first(node))), undefined],
  Conv: convRule,
  BatchNormalization: batchNormRule,
  MaxPool: maxPoolRule,
  GlobalAveragePool: unary((g, gy, x) => {
    const xs = g.shape(x);
    const area = xs.slice(2).reduce((a, b) => a * b, 1);
    return g.op1('Div', [g.op1('Expand', [gy, g.constInt64(xs)]), g.constFloat(area)]);
  }),
  Pad: (g, node, [gy], needs) => {
    if (needs[2]) throw new GraphError('Pad gradient: the constant value must not depend on a differentiated input');
    const xs = g.shape(first(node));
    const pads = g.intValues(first(node, 1))!;
    if (pads.some((p) => p < 0)) throw new GraphError(`Pad gradient: negative pads [${pads}] (cropping) are not supported`);
    const begins = xs.map((_, i) => pads[i]!);
    return [g.op1('Slice', [gy!, g.constInt64(begins), g.constInt64(xs.map((n, i) => begins[i]! + n))]), undefined, undefined];
  },
  Where: (g, node, [gy], needs) => {
    const [cond, a, b] = node.inputs;
    const zero = g.constFloat(0);
    return [
      undefined,
      needs[1] ? unbroadcast(g, g.op1('Where', [cond!, gy!, zero]), g.shape(a!)) : undefined,
      needs[2] ? unbroadcast(g, g.op1('Where', [cond!, zero, gy!]), g.shape(b!)) : undefined,
    ];
  },
};

/** Ops whose outputs carry no gradient (comparisons, signs, casts): they stop the backward pass. */
const nonDifferentiable = new Set(['Greater', 'Equal', 'Sign', 'Cast', 'ReduceMax', 'ReduceL2']);

/** The ops the generator can differentiate. */
export const differentiableOps: readonly string[] = Object.keys(rules).sort();

export interface Backward {
  /**
   * Name of the total gradient dL/d`value` (every path through the graph summed), or undefined when the value
   * does not influence the loss or does not depend on any `wrt` value.
   */
  gradOf(value: string): string | undefined;
}

/**
 * Appends the reverse-mode graph of `loss` (a scalar) to `g`. Gradients are generated for every value on a path
 * from one of `wrt` to the loss, so intermediate values (block outputs, hidden states) get their total gradient
 * too — the same number a zero probe added to that value would give. Throws `NoGradientRuleError` naming the
 * first op on such a path without a rule.
 */
export function appendBackward(g: Graph, loss: string, wrt: readonly string[]): Backward {
  const forward = [...g.nodes];
  const requires = new Set(wrt);
  for (const node of forward) {
    if (nonDifferentiable.has(node.opType)) continue;
    if (node.inputs.some((i) => requires.has(i))) for (const o of node.outputs) requires.add(o);
  }
  const contributions = new Map<string, string[]>();
  const totals = new Map<string, string>();
  const add = (value: string, grad: string): void => {
    const list = contributions.get(value);
    if (list) list.push(grad);
    else contributions.set(value, [grad]);
  };
  const total = (value: string): string | undefined => {
    const done = totals.get(value);
    if (done) return done;
    const list = contributions.get(value);
    if (!list) return undefined;
    const sum = list.reduce((acc, x) => g.op1('Add', [acc, x]));
    totals.set(value, sum);
    return sum;
  };
  if (!requires.has(loss)) return { gradOf: () => undefined };
  add(loss, g.constFloat(1, g.shape(loss)));
  for (let k = forward.length - 1; k >= 0; k--) {
    const node = forward[k]!;
    if (nonDifferentiable.has(node.opType)) continue;
    const outGrads = node.outputs.map(total);
    if (outGrads.every((x) => x === undefined)) continue;
    const needs = node.inputs.map((i) => i !== '' && requires.has(i));
    if (!needs.some(Boolean)) continue;
    const rule = rules[node.opType];
    if (!rule) throw new NoGradientRuleError(node.opType);
    const inGrads = rule(g, node, outGrads, needs);
    node.inputs.forEach((input, i) => {
      const gi = inGrads[i];
      if (needs[i] && gi) add(input, gi);
    });
  }
  return { gradOf: total };
}
