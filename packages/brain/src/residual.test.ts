import { initParams, parseSpec } from '@gradscope/core';
import { describe, expect, it } from 'vitest';
import { randomBatch } from './__fixtures__/local.js';
import { createBrainBackend } from './backend.js';

describe('depth: where the gradient dies', () => {
  const batch = randomBatch([16, 8], [16, 2], 11);
  const ratio = async (skip: 'identity' | 'none'): Promise<number> => {
    const spec = parseSpec({ kind: 'residual', inputSize: 8, outputSize: 2, width: 32, depth: 16, block: { activation: 'sigmoid', skip } });
    const r = await (await createBrainBackend().createModel(spec, initParams(spec, { seed: 5 }))).computeGradients(batch, 'mse');
    const norms = r.blockOutputGradNorms!;
    expect(norms).toHaveLength(16);
    return norms[0]! / norms[15]!;
  };

  it('a plain sigmoid net of 16 blocks keeps < 1e-3 of the last block gradient at the first', async () => {
    expect(await ratio('none')).toBeLessThan(1e-3);
  });

  it('the residual sigmoid net of 16 blocks keeps > 0.1 of it', async () => {
    expect(await ratio('identity')).toBeGreaterThan(0.1);
  });

  it('counts dead ReLU units per block', async () => {
    const spec = parseSpec({ kind: 'residual', inputSize: 2, outputSize: 1, width: 4, depth: 2, block: { activation: 'relu', layers: 1 } });
    const params = initParams(spec, { seed: 1 });
    // block 0: units 0 and 1 get a bias of -100 (never active); block 1: all units active for positive inputs
    params['blocks.0.0.bias']!.data.set([-100, -100, 0, 0]);
    params['blocks.1.0.weight']!.data.fill(0);
    params['blocks.1.0.bias']!.data.fill(1);
    const r = await (await createBrainBackend().createModel(spec, params)).computeGradients(
      { input: { shape: [3, 2], data: Float32Array.of(1, 2, 0.5, -1, -2, 3) }, target: { shape: [3, 1], data: Float32Array.of(0, 1, 0) } },
      'mse',
    );
    expect(r.deadUnitFractions![0]).toBeGreaterThanOrEqual(0.5);
    expect(r.deadUnitFractions![1]).toBe(0);
  });
});
