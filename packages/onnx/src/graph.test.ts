import { describe, expect, it } from 'vitest';
import { Graph, GraphError } from './graph.js';

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
