import { describe, expect, it } from 'vitest';
import { Graph, GraphError } from './graph.js';
import { SessionCache } from './session.js';

describe('Graph shape tracking', () => {
  it('infers the shapes the backward generator relies on', () => {
    const g = new Graph('shapes');
    const x = g.input('x', [4, 3]);
    const w = g.input('w', [5, 3]);
    const y = g.op1('Gemm', [x, w, g.constFloat(new Float32Array(5), [5])], { transB: 1 });
    expect(g.shape(y)).toEqual([4, 5]);
    const [a, b] = g.op('Split', [y, g.constInt64([2, 3])], { axis: 1 }, 2);
    expect([g.shape(a!), g.shape(b!)]).toEqual([[4, 2], [4, 3]]);
    expect(g.shape(g.op1('Add', [y, g.constFloat(0, [1, 5])]))).toEqual([4, 5]);
    expect(g.shape(g.op1('ReduceSum', [y, g.constInt64([0])], { keepdims: 0 }))).toEqual([5]);
    expect(g.shape(g.op1('ReduceL2', [y], { keepdims: 0 }))).toEqual([]);
    expect(g.shape(g.op1('Transpose', [g.op1('Reshape', [y, g.constInt64([2, -1, 5])])], { perm: [1, 0, 2] }))).toEqual([2, 2, 5]);
  });

  it('keeps symbolic dimensions of export graphs', () => {
    const g = new Graph('symbolic');
    const x = g.input('x', ['batch', 3]);
    expect(g.dims(g.op1('Tanh', [g.op1('Gemm', [x, g.input('w', [2, 3])], { transB: 1 })]))).toEqual(['batch', 2]);
  });

  it('names the problem when shapes do not fit', () => {
    const g = new Graph('bad');
    const x = g.input('x', [4, 3]);
    expect(() => g.op1('Add', [x, g.input('y', [4, 2])])).toThrow(GraphError);
    expect(() => g.op1('Add', [x, g.input('z', [2])])).toThrow('Add: shapes [4,3] and [2] do not broadcast');
    expect(() => g.op1('MatMul', [x, x])).toThrow('MatMul: only 2-D [m,k]x[k,n] is supported, got [4,3]x[4,3]');
    expect(() => g.op1('Frobnicate', [x])).toThrow('no shape rule for op "Frobnicate"');
    expect(() => g.input('x', [1])).toThrow('value "x" is defined twice');
  });

  it('shares one initializer for a repeated small constant', () => {
    const g = new Graph('consts');
    expect(g.constFloat(1)).toBe(g.constFloat(1));
    expect(g.constFloat(1)).not.toBe(g.constFloat(2));
    expect(g.constInt64([1, 2])).toBe(g.constInt64([1, 2]));
  });
});

describe('Graph shape tracking of the conv ops', () => {
  it('infers Conv, ConvTranspose, MaxPool, GlobalAveragePool, BatchNormalization and Pad shapes by the ONNX formulas', () => {
    const g = new Graph('conv');
    const x = g.input('x', [2, 3, 7, 6]);
    const w = g.input('w', [4, 3, 3, 3]);
    expect(g.shape(g.op1('Conv', [x, w], { pads: [1, 1, 1, 1] }))).toEqual([2, 4, 7, 6]);
    expect(g.shape(g.op1('Conv', [x, w], { strides: [2, 2], pads: [1, 1, 1, 1] }))).toEqual([2, 4, 4, 3]);
    expect(g.shape(g.op1('Conv', [x, w], { dilations: [2, 1] }))).toEqual([2, 4, 3, 4]);
    const y = g.input('y', [2, 4, 4, 3]);
    expect(g.shape(g.op1('ConvTranspose', [y, w], { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [0, 1] }))).toEqual([2, 3, 7, 6]);
    const [pooled, indices] = g.op('MaxPool', [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, 2);
    expect([g.shape(pooled!), g.elemType(indices!)]).toEqual([[2, 3, 4, 3], 7]);
    expect(g.shape(g.op1('GlobalAveragePool', [x]))).toEqual([2, 3, 1, 1]);
    const c = g.constFloat([1, 1, 1], [3]);
    expect(g.shape(g.op1('BatchNormalization', [x, c, c, c, c]))).toEqual([2, 3, 7, 6]);
    expect(g.shape(g.op1('Pad', [x, g.constInt64([0, 1, 0, 0, 0, 2, 1, 1])]))).toEqual([2, 6, 8, 7]);
  });

  it('keeps a symbolic batch dimension (export graphs)', () => {
    const g = new Graph('symbolic conv');
    const x = g.input('x', ['batch', 1, 28, 28]);
    const y = g.op1('MaxPool', [g.op1('Conv', [x, g.input('w', [8, 1, 7, 7])], { strides: [2, 2], pads: [3, 3, 3, 3] })], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
    expect(g.dims(g.op1('GlobalAveragePool', [y]))).toEqual(['batch', 8, 1, 1]);
    expect(() => g.op1('Conv', [g.input('free', ['batch', 1, 'h', 28]), g.input('w2', [8, 1, 3, 3])])).toThrow(
      'Conv: input [batch,1,h,28] must be [N, C, spatial...] with only N symbolic',
    );
  });

  it('names what does not fit', () => {
    const g = new Graph('bad conv');
    const x = g.input('x', [2, 3, 5, 5]);
    expect(() => g.op1('Conv', [x, g.input('w', [4, 2, 3, 3])])).toThrow('Conv: weight [4,2,3,3] does not fit input [2,3,5,5] with group 1');
    const w = g.input('w3', [4, 3, 3, 3]);
    expect(() => g.op1('Conv', [x, w], { kernel_shape: [5, 5] })).toThrow("Conv: kernel_shape [5,5] differs from the weight's [3,3]");
    expect(() => g.op1('Conv', [x, w], { auto_pad: 'SAME_UPPER' })).toThrow('Conv: auto_pad "SAME_UPPER" is not supported; give pads');
    expect(() => g.op1('Conv', [x, w, g.constFloat([0, 0], [2])])).toThrow('Conv bias: shape [2] should be [4]');
    expect(() => g.op1('MaxPool', [x], { kernel_shape: [7, 7] })).toThrow('MaxPool: window 7 is larger than the padded input 5 on spatial axis 0');
    expect(() => g.op1('MaxPool', [x], { kernel_shape: [2, 2], ceil_mode: 1 })).toThrow('MaxPool: only ceil_mode 0 is supported');
    expect(() => g.op1('Pad', [x, g.constInt64([0, 0, 1, 1, 0, 0, 1, 1])], { mode: 'reflect' })).toThrow('Pad: only mode "constant" is supported');
    const c = g.constFloat([1, 1, 1], [3]);
    expect(() => g.op1('BatchNormalization', [x, c, c, c, c], { training_mode: 1 })).toThrow(/training_mode is not supported.*batchNormTraining/);
  });
});

describe('Graph.rename', () => {
  it('renames a node output in place (no Identity node), also for nodes that already read it; an input or a second name gets an Identity', async () => {
    const g = new Graph('rename');
    const x = g.input('x', [2]);
    const neg = g.op1('Neg', [x]);
    const twice = g.op1('Add', [neg, neg]); // reads neg before it is renamed
    g.output(g.rename(neg, 'minus'));
    g.output(g.rename(g.op1('Mul', [twice, neg]), 'product')); // `neg` still works as a handle after the rename
    g.output(g.rename(neg, 'minus_again'));
    g.output(g.rename(x, 'x_copy'));
    expect(g.opCounts()).toEqual({ Neg: 1, Add: 1, Mul: 1, Identity: 2 });
    const cache = new SessionCache();
    const session = await cache.get('k', () => g.toModel());
    const out = await session.run({ x: { dims: [2], data: Float32Array.from([1, -3]) } });
    expect([out['minus'], out['product'], out['minus_again'], out['x_copy']].map((t) => Array.from(t!.data))).toEqual([[-1, 3], [2, 18], [-1, 3], [1, -3]]);
    await cache.releaseAll();
  });
});
