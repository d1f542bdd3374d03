import { describe, expect, it } from 'vitest';
import { initParams, parseModelSpec, SpecError } from '@gradscope/core';
import { createBrainBackend as createBackend } from './backend.js';

const deep = (layers: number) => ({ kind: 'residual', inputSize: 2, outputSize: 2, width: 2, depth: 1024, block: { layers, activation: 'tanh' } });
const batch = { input: { shape: [4, 2], data: new Float32Array(8).fill(0.5) }, target: { shape: [4, 2], data: new Float32Array(8) } };

describe('deep but small specs on brain', () => {
  it('1024 blocks x 64 layers of width 2 is refused by the layer budget at parse time', () => {
    expect(() => parseModelSpec(deep(64))).toThrow(SpecError);
    expect(() => parseModelSpec(deep(64))).toThrow(/depth: .*65,536 layers/);
  });

  it('1024 blocks x 4 layers (the budget limit, 4096 layers) gives finite gradients for every block', async () => {
    const spec = parseModelSpec(deep(4));
    const backend = createBackend();
    try {
      const model = await backend.createModel(spec, initParams(spec, { seed: 0 }));
      const r = await model.computeGradients(batch, 'mse');
      expect(Number.isFinite(r.loss)).toBe(true);
      expect(r.blockOutputGradNorms).toHaveLength(1024);
      expect(r.blockOutputGradNorms!.every(Number.isFinite)).toBe(true);
      await model.dispose();
    } finally {
      await backend.dispose();
    }
  });
});
