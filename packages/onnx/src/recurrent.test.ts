import { cellTypes, initParams, parseSpec } from '@gradscope/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createOnnxBackend } from './backend.js';
import { seededRandom, uniform } from './test-helpers.js';

const backend = createOnnxBackend();
afterAll(() => backend.dispose());

describe('unrolled recurrent graphs', () => {
  for (const cell of cellTypes) {
    it(`${cell}: report grids are [numLayers][T], and the top layer's last dL/dh is the readout's W^T dL/dy`, async () => {
      const spec = parseSpec({ kind: 'recurrent', cell, inputSize: 3, hiddenSize: 4, numLayers: 2, outputSize: 2 });
      const params = initParams(spec, { seed: 3 });
      const rand = seededRandom(11);
      const [B, T] = [5, 7];
      const batch = { input: { shape: [B, T, 3], data: uniform(rand, B * T * 3, -1, 1) }, target: { shape: [B, 2], data: uniform(rand, B * 2, -1, 1) } };
      const model = await backend.createModel(spec, params);
      const r = await model.computeGradients(batch, 'mse');
      expect(r.hiddenGradNorms!.map((row) => row.length)).toEqual([T, T]);
      expect(r.inputGradNorms).toHaveLength(T);
      if (cell === 'lstm') expect(r.cellGradNorms!.map((row) => row.length)).toEqual([T, T]);
      else expect(r.cellGradNorms).toBeUndefined();
      // Nothing but the readout consumes h_{T-1} of the top layer: dL/dh = dL/dy W_fc with dL/dy = 2 (y - t) / (B * O).
      const W = params['fc.weight']!.data;
      let sq = 0;
      for (let b = 0; b < B; b++) {
        for (let j = 0; j < 4; j++) {
          let g = 0;
          for (let o = 0; o < 2; o++) g += ((2 * (r.output.data[b * 2 + o]! - batch.target.data[b * 2 + o]!)) / (B * 2)) * W[o * 4 + j]!;
          sq += g * g;
        }
      }
      expect(Math.abs(r.hiddenGradNorms![1]![T - 1]! - Math.sqrt(sq)) / Math.sqrt(sq)).toBeLessThan(1e-5);
      await model.dispose();
    });
  }
});
