import { initParams, parseSpec, type Batch } from '@gradscope/core';
import { describe, expect, it } from 'vitest';
import { createTfjsBackend } from './backend.js';

// The point of gradscope: at PyTorch's default init a deep plain sigmoid net's gradient dies on the way back,
// while the same net with identity skips keeps it.
describe('vanishing gradients at initialization (depth 16, sigmoid, width 16)', () => {
  const batch: Batch = {
    input: { shape: [32, 4], data: Float32Array.from({ length: 128 }, (_, i) => Math.sin(i * 1.7)) },
    target: { shape: [32, 1], data: Float32Array.from({ length: 32 }, (_, i) => Math.cos(i)) },
  };
  const blockNorms = async (skip: 'none' | 'identity'): Promise<number[]> => {
    const spec = parseSpec({ kind: 'residual', inputSize: 4, outputSize: 1, width: 16, depth: 16, block: { activation: 'sigmoid', skip } });
    const backend = await createTfjsBackend();
    const model = await backend.createModel(spec, initParams(spec, { seed: 0 }));
    const { blockOutputGradNorms } = await model.computeGradients(batch, 'mse');
    await backend.dispose();
    return blockOutputGradNorms!;
  };

  it('plain: first-block gradient norm < 1e-3 x the last block’s', async () => {
    const norms = await blockNorms('none');
    expect(norms[0]! / norms[15]!).toBeLessThan(1e-3);
  });

  it('residual: first/last ratio stays > 0.1', async () => {
    const norms = await blockNorms('identity');
    expect(norms[0]! / norms[15]!).toBeGreaterThan(0.1);
  });
});
