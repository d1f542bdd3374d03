import { describe, expect, it } from 'vitest';
import { initParams, parseModelSpec, SpecError } from '@gradscope/core';
import { createOnnxBackend as createBackend } from './backend.js';

const deep = (layers: number) => ({ kind: 'residual', inputSize: 2, outputSize: 2, width: 2, depth: 1024, block: { layers, activation: 'tanh' } });
const batch = { input: { shape: [4, 2], data: new Float32Array(8).fill(0.5) }, target: { shape: [4, 2], data: new Float32Array(8) } };

describe('deep but small specs on onnx', () => {
  it('1024 blocks x 64 layers of width 2 is refused by the layer budget at parse time', () => {
    expect(() => parseModelSpec(deep(64))).toThrow(SpecError);
    expect(() => parseModelSpec(deep(64))).toThrow(/depth: .*65,536 layers/);
  });

  // ONNX Runtime compiles the gradient graph of 1024 blocks in ~27 s (its own cost, linear in depth): the forward
  // graph shows that building and running a spec of this depth works
  it('1024 blocks of width 2 run forward to a finite output', async () => {
    const spec = parseModelSpec(deep(1));
    const backend = createBackend();
    try {
      const model = await backend.createModel(spec, initParams(spec, { seed: 0 }));
      const out = await model.forward(batch.input);
      expect(out.shape).toEqual([4, 2]);
      expect(out.data.every(Number.isFinite)).toBe(true);
      await model.dispose();
    } finally {
      await backend.dispose();
    }
  });
});
