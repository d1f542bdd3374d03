import { initParams, parseSpec } from '@gradscope/core';
import { describe, expect, it } from 'vitest';
import { kerasRecurrentWeights, toTfjsLayout, toTorchLayout, transpose2d } from './params.js';

describe('PyTorch <-> tfjs layout', () => {
  it('transposes a Linear weight [out, in] into a kernel [in, out]', () => {
    const w = { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) };
    expect(toTfjsLayout(w)).toEqual({ shape: [3, 2], data: Float32Array.from([1, 4, 2, 5, 3, 6]) });
    expect(toTorchLayout(toTfjsLayout(w).data, [2, 3])).toEqual(w);
  });

  it('copies biases unchanged (and never aliases the caller’s array)', () => {
    const b = { shape: [3], data: Float32Array.from([1, 2, 3]) };
    const t = toTfjsLayout(b);
    expect(t).toEqual(b);
    expect(t.data).not.toBe(b.data);
  });

  it('transpose2d twice is the identity', () => {
    const data = Float32Array.from({ length: 35 }, (_, i) => i);
    expect(transpose2d(transpose2d(data, 5, 7), 7, 5)).toEqual(data);
  });

  it('builds Keras LSTM weights: transposed kernels in i,f,c,o order and one bias b_ih + b_hh', () => {
    const spec = parseSpec({ kind: 'recurrent', cell: 'lstm', inputSize: 2, hiddenSize: 3, outputSize: 1 });
    const p = initParams(spec, { seed: 4 });
    const k = kerasRecurrentWeights(p, 'lstm', 0);
    expect(k.kernel.shape).toEqual([2, 12]);
    expect(k.recurrentKernel.shape).toEqual([3, 12]);
    // kernel[i][g] = weight_ih[g][i]: gate rows keep PyTorch's order, which is Keras' i,f,c,o.
    expect(k.kernel.data[1 * 12 + 7]).toBe(p['lstm.weight_ih_l0']!.data[7 * 2 + 1]);
    expect(k.bias.data[5]).toBeCloseTo(p['lstm.bias_ih_l0']!.data[5]! + p['lstm.bias_hh_l0']!.data[5]!, 7);
  });
});
