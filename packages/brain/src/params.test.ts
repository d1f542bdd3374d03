import { initParams, parseSpec } from '@gradscope/core';
import { describe, expect, it } from 'vitest';
import { bindParams, loadParams, readGrads, readParams } from './params.js';

describe('PyTorch layout <-> brain.js matrices', () => {
  it('splits stacked gate tensors into one matrix per gate, in PyTorch order, and round-trips bitwise', () => {
    const spec = parseSpec({ kind: 'recurrent', cell: 'lstm', inputSize: 3, hiddenSize: 5, numLayers: 2, outputSize: 2 });
    const params = initParams(spec, { seed: 2 });
    const bindings = bindParams(spec);
    const ih = bindings.get('lstm.weight_ih_l0')!;
    expect(ih.pieces.map((m) => [m.rows, m.columns])).toEqual([[5, 3], [5, 3], [5, 3], [5, 3]]);
    expect(bindings.get('lstm.bias_hh_l1')!.pieces.map((m) => [m.rows, m.columns])).toEqual([[5, 1], [5, 1], [5, 1], [5, 1]]);
    expect(bindings.get('fc.weight')!.pieces).toHaveLength(1);
    loadParams(bindings, params);
    // the forget gate (rows H..2H of weight_ih) is the second piece
    expect(Array.from(ih.pieces[1]!.weights)).toEqual(Array.from(params['lstm.weight_ih_l0']!.data.subarray(15, 30)));
    const back = readParams(bindings);
    expect(Object.keys(back)).toEqual(Object.keys(params));
    for (const name of Object.keys(params)) {
      expect(back[name]!.shape).toEqual(params[name]!.shape);
      expect(Array.from(back[name]!.data)).toEqual(Array.from(params[name]!.data));
    }
    ih.pieces[3]!.deltas.fill(7);
    const grads = readGrads(bindings)['lstm.weight_ih_l0']!;
    expect(grads.shape).toEqual([20, 3]);
    expect(Array.from(grads.data.subarray(45))).toEqual(Array(15).fill(7));
    expect(Array.from(grads.data.subarray(0, 45))).toEqual(Array(45).fill(0));
  });
});
