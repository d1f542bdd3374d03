import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appendBackward, differentiableOps, NoGradientRuleError } from './autodiff.js';
import { batchNormTraining } from './conv-batchnorm.js';
import { Graph, type Attrs } from './graph.js';
import { OnnxSession, type Feeds } from './session.js';
import { finiteDifferences, hasPythonOnnx, python, relErr, seededRandom, uniform } from './test-helpers.js';

/** `distinct`: values at least 0.05 apart, so a finite-difference step never changes which element is a max. */
type Range = 'any' | 'positive' | 'awayFromZero' | 'distinct';

interface OpCase {
  readonly name: string;
  readonly op: string;
  /** Float inputs (differentiated) with their shapes and value ranges. */
  readonly inputs: readonly { readonly shape: readonly number[]; readonly range?: Range }[];
  readonly attrs?: Attrs;
  /** Extra int64 constant inputs after the float ones (axes, shapes, sizes). */
  readonly ints?: readonly (readonly number[])[];
  readonly outputs?: number;
  /** Which outputs feed the loss (default all): an unused output must get a zero gradient. */
  readonly used?: readonly number[];
  /** Builds the node itself when the inputs need wiring (e.g. a boolean condition). */
  readonly custom?: (g: Graph, xs: string[]) => string[];
}

const cases: OpCase[] = [
  { name: 'Add with broadcasting [3,4]+[4]', op: 'Add', inputs: [{ shape: [3, 4] }, { shape: [4] }] },
  { name: 'Add with broadcasting [3,1]+[1,4]', op: 'Add', inputs: [{ shape: [3, 1] }, { shape: [1, 4] }] },
  { name: 'Sub with broadcasting [3,4]-[3,1]', op: 'Sub', inputs: [{ shape: [3, 4] }, { shape: [3, 1] }] },
  { name: 'Mul with broadcasting [2,3]*[3]', op: 'Mul', inputs: [{ shape: [2, 3] }, { shape: [3] }] },
  { name: 'Div with broadcasting [2,3]/[2,1]', op: 'Div', inputs: [{ shape: [2, 3] }, { shape: [2, 1], range: 'positive' }] },
  { name: 'Neg', op: 'Neg', inputs: [{ shape: [2, 3] }] },
  { name: 'Identity', op: 'Identity', inputs: [{ shape: [2, 3] }] },
  { name: 'Relu', op: 'Relu', inputs: [{ shape: [3, 4], range: 'awayFromZero' }] },
  { name: 'LeakyRelu alpha 0.01', op: 'LeakyRelu', inputs: [{ shape: [3, 4], range: 'awayFromZero' }], attrs: { alpha: { f: 0.01 } } },
  { name: 'Tanh', op: 'Tanh', inputs: [{ shape: [3, 4] }] },
  { name: 'Sigmoid', op: 'Sigmoid', inputs: [{ shape: [3, 4] }] },
  { name: 'Erf', op: 'Erf', inputs: [{ shape: [3, 4] }] },
  { name: 'Exp', op: 'Exp', inputs: [{ shape: [3, 4] }] },
  { name: 'Log', op: 'Log', inputs: [{ shape: [3, 4], range: 'positive' }] },
  { name: 'Sqrt', op: 'Sqrt', inputs: [{ shape: [3, 4], range: 'positive' }] },
  { name: 'Gemm with bias', op: 'Gemm', inputs: [{ shape: [3, 4] }, { shape: [4, 5] }, { shape: [5] }] },
  { name: 'Gemm transB (PyTorch Linear)', op: 'Gemm', inputs: [{ shape: [3, 4] }, { shape: [5, 4] }, { shape: [5] }], attrs: { transB: 1 } },
  { name: 'Gemm transA', op: 'Gemm', inputs: [{ shape: [4, 3] }, { shape: [4, 5] }], attrs: { transA: 1 } },
  { name: 'Gemm transA transB', op: 'Gemm', inputs: [{ shape: [4, 3] }, { shape: [5, 4] }, { shape: [3, 5] }], attrs: { transA: 1, transB: 1 } },
  { name: 'MatMul', op: 'MatMul', inputs: [{ shape: [3, 4] }, { shape: [4, 2] }] },
  { name: 'Split with an unused output', op: 'Split', inputs: [{ shape: [2, 6] }], ints: [[1, 2, 3]], attrs: { axis: 1 }, outputs: 3, used: [0, 2] },
  { name: 'Concat axis 1', op: 'Concat', inputs: [{ shape: [2, 3] }, { shape: [2, 1] }], attrs: { axis: 1 } },
  { name: 'Slice', op: 'Slice', inputs: [{ shape: [3, 5] }], ints: [[1], [4], [1]] },
  { name: 'Reshape', op: 'Reshape', inputs: [{ shape: [2, 6] }], ints: [[3, 4]] },
  { name: 'Transpose', op: 'Transpose', inputs: [{ shape: [2, 3, 4] }], attrs: { perm: [1, 2, 0] } },
  { name: 'Squeeze', op: 'Squeeze', inputs: [{ shape: [2, 1, 3] }], ints: [[1]] },
  { name: 'Unsqueeze', op: 'Unsqueeze', inputs: [{ shape: [2, 3] }], ints: [[0]] },
  { name: 'Softmax', op: 'Softmax', inputs: [{ shape: [3, 4] }], attrs: { axis: -1 } },
  { name: 'LogSoftmax', op: 'LogSoftmax', inputs: [{ shape: [3, 4] }], attrs: { axis: 1 } },
  { name: 'ReduceSum over axis 1', op: 'ReduceSum', inputs: [{ shape: [3, 4] }], ints: [[1]], attrs: { keepdims: 0 } },
  { name: 'ReduceSum over everything', op: 'ReduceSum', inputs: [{ shape: [3, 4] }], attrs: { keepdims: 0 } },
  { name: 'ReduceMean over axis 0', op: 'ReduceMean', inputs: [{ shape: [3, 4] }], attrs: { axes: [0], keepdims: 1 } },
  { name: 'ReduceMean over everything', op: 'ReduceMean', inputs: [{ shape: [3, 4] }], attrs: { keepdims: 0 } },
  { name: 'Expand', op: 'Expand', inputs: [{ shape: [3, 1] }], ints: [[2, 3, 4]] },
  { name: 'Conv 3x3 pad 1 with bias', op: 'Conv', inputs: [{ shape: [2, 3, 5, 5] }, { shape: [4, 3, 3, 3] }, { shape: [4] }], attrs: { pads: [1, 1, 1, 1] } },
  {
    name: 'Conv 3x3 stride 2 pad 1 on an even input (a row past the last window)',
    op: 'Conv',
    inputs: [{ shape: [2, 2, 6, 6] }, { shape: [3, 2, 3, 3] }],
    attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
  },
  { name: 'Conv 1x1 stride 2 (projection shortcut)', op: 'Conv', inputs: [{ shape: [2, 3, 4, 4] }, { shape: [4, 3, 1, 1] }, { shape: [4] }], attrs: { strides: [2, 2] } },
  { name: 'Conv 7x7 stride 2 pad 3 (ImageNet stem)', op: 'Conv', inputs: [{ shape: [1, 2, 9, 9] }, { shape: [2, 2, 7, 7] }], attrs: { strides: [2, 2], pads: [3, 3, 3, 3] } },
  {
    name: 'Conv with asymmetric pads, stride (2,1) and dilation 2',
    op: 'Conv',
    inputs: [{ shape: [1, 2, 7, 6] }, { shape: [3, 2, 3, 2] }, { shape: [3] }],
    attrs: { strides: [2, 1], pads: [0, 2, 1, 0], dilations: [2, 2] },
  },
  {
    name: 'BatchNormalization (inference form) wrt input, scale, bias, mean and variance',
    op: 'BatchNormalization',
    inputs: [{ shape: [2, 3, 2, 2] }, { shape: [3] }, { shape: [3] }, { shape: [3] }, { shape: [3], range: 'positive' }],
    attrs: { epsilon: { f: 1e-5 } },
  },
  {
    name: 'batchNormTraining (batch statistics, built from differentiable ops)',
    op: 'batchNormTraining',
    inputs: [{ shape: [3, 2, 2, 3] }, { shape: [2] }, { shape: [2] }],
    custom: (g, [x, scale, bias]) => [batchNormTraining(g, x!, scale!, bias!).y],
  },
  { name: 'MaxPool 2x2 stride 2', op: 'MaxPool', inputs: [{ shape: [2, 2, 4, 4], range: 'distinct' }], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
  {
    name: 'MaxPool 3x3 stride 2 pad 1 (overlapping windows) with its index output',
    op: 'MaxPool',
    inputs: [{ shape: [1, 2, 7, 7], range: 'distinct' }],
    attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
    outputs: 2,
    used: [0],
  },
  { name: 'GlobalAveragePool', op: 'GlobalAveragePool', inputs: [{ shape: [2, 3, 3, 4] }] },
  { name: 'Pad (constant, channels and spatial axes)', op: 'Pad', inputs: [{ shape: [2, 3, 4, 4] }], ints: [[0, 1, 1, 0, 0, 2, 1, 3]] },
  {
    name: 'Where',
    op: 'Where',
    inputs: [{ shape: [3, 4] }, { shape: [4] }],
    custom: (g, [a, b]) => {
      const cond = g.op1('Greater', [g.constFloat(Float32Array.from({ length: 12 }, (_, i) => (i % 3) - 1), [3, 4]), g.constFloat(0)]);
      return [g.op1('Where', [cond, a!, b!])];
    },
  },
];

function sample(rand: () => number, n: number, range: Range = 'any'): Float32Array {
  if (range === 'positive') return uniform(rand, n, 0.5, 1.5);
  if (range === 'distinct') {
    const v = Float32Array.from({ length: n }, (_, k) => (k - n / 2) * 0.05);
    for (let k = n - 1; k > 0; k--) {
      const j = Math.floor(rand() * (k + 1));
      [v[k], v[j]] = [v[j]!, v[k]!];
    }
    return v;
  }
  if (range === 'awayFromZero') return Float32Array.from({ length: n }, () => (rand() < 0.5 ? -1 : 1) * (0.2 + 0.8 * rand()));
  return uniform(rand, n, -1, 1);
}

/** Builds `loss = sum_k sum(out_k * w_k)` around one op, with its generated backward graph. */
function opGraph(c: OpCase, rand: () => number): { model: Uint8Array; names: string[] } {
  const g = new Graph(c.name);
  const xs = c.inputs.map((inp, i) => g.input(`x${i}`, inp.shape));
  const outs = c.custom ? c.custom(g, xs) : g.op(c.op, [...xs, ...(c.ints ?? []).map((v) => g.constInt64(v))], c.attrs ?? {}, c.outputs ?? 1);
  const used = c.used ?? outs.map((_, i) => i);
  const terms = used.map((k) => {
    const o = outs[k]!;
    const size = g.shape(o).reduce((a, b) => a * b, 1);
    return g.op1('ReduceSum', [g.op1('Mul', [o, g.constFloat(uniform(rand, size, -1, 1), g.shape(o))])], { keepdims: 0 });
  });
  const loss = g.rename(terms.reduce((a, b) => g.op1('Add', [a, b])), 'loss');
  g.output(loss);
  const back = appendBackward(g, loss, xs);
  xs.forEach((x, i) => g.output(g.rename(back.gradOf(x)!, `grad_x${i}`)));
  return { model: g.toModel(), names: xs };
}

describe('gradient rules, each against central finite differences through onnxruntime', () => {
  it('every rule has a case here', () => {
    const covered = new Set(cases.map((c) => c.op));
    expect(differentiableOps.filter((op) => !covered.has(op))).toEqual([]);
  });

  for (const c of cases) {
    it(c.name, async () => {
      const rand = seededRandom(c.name.length * 7919 + 17);
      const { model, names } = opGraph(c, rand);
      const session = await OnnxSession.create(model);
      const feeds: Feeds = {};
      c.inputs.forEach((inp, i) => (feeds[names[i]!] = { dims: inp.shape, data: sample(rand, inp.shape.reduce((a, b) => a * b, 1), inp.range) }));
      const out = await session.run(feeds);
      for (let i = 0; i < names.length; i++) {
        const numeric = await finiteDifferences(session, feeds, names[i]!, 1e-2);
        expect(out[`grad_x${i}`]!.dims).toEqual(c.inputs[i]!.shape);
        expect(relErr(out[`grad_x${i}`]!.data, numeric)).toBeLessThan(2e-3);
      }
      await session.release();
    });
  }
});

describe('MaxPool gradient on ties', () => {
  // Expected grids are PyTorch 1.13's x.grad for max_pool2d(x, ...).sum().backward(): the first maximum of each
  // window in scan order takes the window's gradient.
  const cases: { name: string; attrs: Attrs; x: number[]; side: number; grad: number[] }[] = [
    {
      name: '2x2 stride 2',
      attrs: { kernel_shape: [2, 2], strides: [2, 2] },
      x: [1, 1, 2, 0, 1, 1, 2, 2, 3, 0, 3, 3, 0, 0, 3, 3],
      side: 4,
      grad: [1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0],
    },
    {
      name: '3x3 stride 2 pad 1 on a constant input (overlapping windows)',
      attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
      x: new Array<number>(25).fill(1),
      side: 5,
      grad: [1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0],
    },
  ];
  for (const c of cases) {
    it(`gives each window's gradient to its first maximum, as PyTorch does: ${c.name}`, async () => {
      const g = new Graph('ties');
      const x = g.input('x', [1, 1, c.side, c.side]);
      const loss = g.rename(g.op1('ReduceSum', [g.op1('MaxPool', [x], c.attrs)], { keepdims: 0 }), 'loss');
      g.output(loss);
      g.output(g.rename(appendBackward(g, loss, [x]).gradOf(x)!, 'dx'));
      const session = await OnnxSession.create(g.toModel());
      const out = await session.run({ x: { dims: [1, 1, c.side, c.side], data: Float32Array.from(c.x) } });
      expect(Array.from(out.dx!.data)).toEqual(c.grad);
      await session.release();
    });
  }
});

describe('appendBackward', () => {
  it('names the op that has no gradient rule', () => {
    const g = new Graph('abs');
    const x = g.input('x', [2]);
    const loss = g.op1('ReduceSum', [g.op1('Abs', [x])], { keepdims: 0 });
    expect(() => appendBackward(g, loss, [x])).toThrow(NoGradientRuleError);
    expect(() => appendBackward(g, loss, [x])).toThrow(/no gradient rule for ONNX op "Abs"/);
  });

  it('names what a conv-op rule does not cover', () => {
    const grouped = new Graph('grouped');
    const x = grouped.input('x', [1, 4, 5, 5]);
    const loss = grouped.op1('ReduceSum', [grouped.op1('Conv', [x, grouped.input('w', [2, 2, 3, 3])], { group: 2 })], { keepdims: 0 });
    expect(() => appendBackward(grouped, loss, [x])).toThrow('Conv gradient: only group 1 is supported');
    const cropped = new Graph('cropped');
    const y = cropped.input('y', [2, 5]);
    const crop = cropped.op1('ReduceSum', [cropped.op1('Pad', [y, cropped.constInt64([0, -1, 0, 1])])], { keepdims: 0 });
    expect(() => appendBackward(cropped, crop, [y])).toThrow('Pad gradient: negative pads [0,-1,0,1] (cropping) are not supported');
  });

  it('sums the gradient of a value used twice (total gradient, as a zero probe would see it)', async () => {
    const g = new Graph('twice');
    const x = g.input('x', [2]);
    const h = g.op1('Tanh', [x]);
    const loss = g.rename(g.op1('ReduceSum', [g.op1('Add', [g.op1('Mul', [h, h]), h])], { keepdims: 0 }), 'loss');
    g.output(loss);
    const back = appendBackward(g, loss, [x]);
    g.output(g.rename(back.gradOf(h)!, 'dh'));
    const session = await OnnxSession.create(g.toModel());
    const out = await session.run({ x: { dims: [2], data: Float32Array.from([0.3, -0.7]) } });
    const expected = [0.3, -0.7].map((v) => 2 * Math.tanh(v) + 1);
    expect(relErr(out.dh!.data, expected)).toBeLessThan(1e-6);
    await session.release();
  });
});

describe('conv graphs and their generated backward graphs against onnx itself', () => {
  const title = hasPythonOnnx
    ? "pass onnx.checker(full_check) and onnx's strict shape inference gives every value the shape the graph tracked"
    : `onnx checker and shape inference on conv graphs — skipped: ${python} with the onnx module is not available`;
  it.skipIf(!hasPythonOnnx)(title, () => {
    const g = new Graph('conv-check');
    const wrt = ['x', 'w1', 'b1', 'scale', 'bias', 'mean', 'var', 'w2'];
    const [x, w1, b1, scale, bias, mean, variance, w2] = wrt.map((n, i) => g.input(n, [[2, 3, 9, 8], [4, 3, 3, 3], [4], [4], [4], [4], [4], [4, 6, 3, 2]][i]!));
    let h = g.op1('Conv', [x!, w1!, b1!], { strides: [2, 2], pads: [1, 1, 1, 1] });
    h = batchNormTraining(g, h, scale!, bias!).y;
    h = g.op1('Relu', [g.op1('BatchNormalization', [h, scale!, bias!, mean!, variance!])]);
    h = g.op1('MaxPool', [h], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
    h = g.op1('Pad', [h, g.constInt64([0, 1, 0, 0, 0, 1, 1, 0])]);
    h = g.op1('Conv', [h, w2!], { dilations: [1, 2], pads: [0, 1, 2, 1] });
    const loss = g.op1('ReduceSum', [g.op1('GlobalAveragePool', [h])], { keepdims: 0 });
    g.output(loss);
    const back = appendBackward(g, loss, wrt);
    for (const n of wrt) g.output(back.gradOf(n)!);
    const tracked = Object.fromEntries(g.nodes.flatMap((n) => n.outputs.map((o) => [o, g.dims(o)])));
    const dir = mkdtempSync(join(tmpdir(), 'gradscope-onnx-'));
    try {
      const file = join(dir, 'conv.onnx');
      writeFileSync(file, g.toModel());
      const script = [
        'import json, onnx, sys',
        'm = onnx.load(sys.argv[1])',
        'onnx.checker.check_model(m, full_check=True)',
        'm = onnx.shape_inference.infer_shapes(m, strict_mode=True)',
        'print(json.dumps({v.name: [d.dim_value for d in v.type.tensor_type.shape.dim] for v in list(m.graph.value_info) + list(m.graph.output)}))',
      ].join('\n');
      const inferred = JSON.parse(execFileSync(python, ['-c', script, file], { encoding: 'utf8' })) as Record<string, number[]>;
      expect(inferred).toEqual(tracked);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
