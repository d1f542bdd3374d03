import { initParams, DisposedError, NotSupportedError, ParamError, parseSpec, ShapeError, BACKEND_SPECIFICATION_VERSION } from '@gradscope/core';
import { describe, expect, it } from 'vitest';
import { addingBatch } from './__fixtures__/local.js';
import { createBrainBackend } from './backend.js';

const lstm = parseSpec({ kind: 'recurrent', cell: 'lstm', inputSize: 2, hiddenSize: 4, numLayers: 2, outputSize: 1 });

describe('createBrainBackend', () => {
  it('states the contract version, runtime and what the faithful flavor implements', () => {
    const b = createBrainBackend();
    expect(b.specificationVersion).toBe(BACKEND_SPECIFICATION_VERSION);
    expect(b.name).toBe('brain');
    expect(b.runtime).toMatchObject({ name: 'brain.js', version: '2.0.0-beta.24' });
    expect(b.supports.semantics).toBe('pytorch');
    expect(b.supports.residual.activations).toEqual(['relu', 'tanh', 'sigmoid', 'leakyRelu', 'linear']);
    expect(b.supports.recurrent.cells).toEqual(['lstm', 'gru', 'rnn']);
  });

  it('refuses what brain.js cannot compute, naming it', async () => {
    const gelu = parseSpec({ kind: 'residual', inputSize: 2, outputSize: 1, width: 3, depth: 1, block: { activation: 'gelu' } });
    const err = await createBrainBackend().createModel(gelu, initParams(gelu, { seed: 0 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotSupportedError);
    expect((err as Error).message).toBe('brain backend does not support activation "gelu"');
    const residual = parseSpec({ kind: 'residual', inputSize: 2, outputSize: 1, width: 3, depth: 1 });
    await expect(createBrainBackend({ flavor: 'stock' }).createModel(residual, initParams(residual, { seed: 0 }))).rejects.toThrow(NotSupportedError);
  });

  it('lists every parameter problem and checks input shapes', async () => {
    const params = initParams(lstm, { seed: 0 });
    delete params['fc.bias'];
    params['lstm.weight_hh_l1'] = { shape: [4, 4], data: new Float32Array(16) };
    const err = await createBrainBackend().createModel(lstm, params).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParamError);
    expect((err as Error).message).toContain('missing: fc.bias');
    expect((err as Error).message).toContain('lstm.weight_hh_l1: expected shape [16, 4], got [4, 4]');

    const model = await createBrainBackend().createModel(lstm, initParams(lstm, { seed: 0 }));
    await expect(model.forward({ shape: [2, 5, 3], data: new Float32Array(30) })).rejects.toThrow(new ShapeError('input: expected shape [batch, T, 2], got [2, 5, 3]'));
    const batch = addingBatch(2, 5, 0);
    await expect(model.computeGradients({ input: batch.input, target: { shape: [2], data: new Float32Array(2) } }, 'mse')).rejects.toThrow(ShapeError);
  });

  it('is deterministic and never draws from Math.random', async () => {
    const original = Math.random;
    Math.random = () => {
      throw new Error('Math.random was called');
    };
    try {
      const results = [];
      for (const flavor of ['faithful', 'stock'] as const) {
        for (let i = 0; i < 2; i++) {
          const model = await createBrainBackend({ flavor }).createModel(lstm, initParams(lstm, { seed: 1 }));
          results.push(await model.computeGradients(addingBatch(3, 4, 1), 'mse'));
        }
      }
      expect(results[1]).toEqual(results[0]);
      expect(results[3]).toEqual(results[2]);
    } finally {
      Math.random = original;
    }
  });

  it('keeps its own copy of the weights and fails after dispose', async () => {
    const backend = createBrainBackend();
    const params = initParams(lstm, { seed: 2 });
    const model = await backend.createModel(lstm, params);
    const before = await model.forward(addingBatch(2, 3, 0).input);
    params['fc.bias']!.data.fill(100);
    expect(await model.forward(addingBatch(2, 3, 0).input)).toEqual(before);
    await model.setParams(params);
    expect((await model.forward(addingBatch(2, 3, 0).input)).data[0]).toBeGreaterThan(50);
    await backend.dispose();
    await expect(model.forward(addingBatch(2, 3, 0).input)).rejects.toThrow(DisposedError);
    await expect(backend.createModel(lstm, params)).rejects.toThrow(DisposedError);
  });
});
