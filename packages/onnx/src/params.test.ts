import { describe, expect, it } from 'vitest';
import { onnxRecurrentWeights, reorderGates } from './params.js';

/** A stacked tensor whose value names its gate block: gate k has every entry equal to k + 1. */
function stacked(gates: number, rowsPerGate: number, cols: number): Float32Array {
  return Float32Array.from({ length: gates * rowsPerGate * cols }, (_, i) => Math.floor(i / (rowsPerGate * cols)) + 1);
}

describe('gate reordering for ONNX recurrent ops', () => {
  it('moves whole row blocks: PyTorch LSTM i,f,g,o becomes ONNX i,o,f,c', () => {
    const w = reorderGates(stacked(4, 2, 3), 2, [0, 3, 1, 2]);
    expect(Array.from(w.filter((_, i) => i % 6 === 0))).toEqual([1, 4, 2, 3]);
  });

  it('builds W, R and B = concat(b_ih, b_hh) for a GRU layer with z,r,h order', () => {
    const H = 2;
    const params = {
      'gru.weight_ih_l1': stacked(3, H, 4),
      'gru.weight_hh_l1': stacked(3, H, H),
      'gru.bias_ih_l1': stacked(3, H, 1),
      'gru.bias_hh_l1': stacked(3, H, 1).map((v) => v * 10),
    };
    const { w, r, b } = onnxRecurrentWeights({ cell: 'gru', hiddenSize: H }, params, 1);
    expect(Array.from(w.filter((_, i) => i % (H * 4) === 0))).toEqual([2, 1, 3]);
    expect(Array.from(r.filter((_, i) => i % (H * H) === 0))).toEqual([2, 1, 3]);
    expect(Array.from(b)).toEqual([2, 2, 1, 1, 3, 3, 20, 20, 10, 10, 30, 30]);
  });

  it('refuses a tensor that does not split into the gates', () => {
    expect(() => reorderGates(new Float32Array(10), 2, [0, 3, 1, 2])).toThrow('cannot split 10 values into 4 gates');
  });
});
