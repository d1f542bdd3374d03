import { describe, expect, it } from 'vitest';
import { isConvResidual, NotSupportedError, type Backend, type Model } from '@gradscope/core';
import { createReferenceBackend } from '@gradscope/testkit';
import { compare } from './compare.js';

/** The reference backend, but declaring no GRU, and with every LSTM training step throwing. */
async function brokenBackend(): Promise<Backend> {
  const inner = createReferenceBackend();
  return {
    specificationVersion: inner.specificationVersion,
    name: 'broken',
    runtime: { name: 'test double', version: '0.0.0', device: 'cpu' },
    supports: { ...inner.supports, recurrent: { cells: ['rnn', 'lstm'] } },
    async createModel(spec, params): Promise<Model> {
      if (isConvResidual(spec)) throw new NotSupportedError('broken', 'residual variant "conv"');
      const model = await inner.createModel(spec, params);
      if (spec.kind !== 'recurrent' || spec.cell !== 'lstm') return model;
      return Object.assign(Object.create(model) as Model, {
        trainStep: () => Promise.reject(new Error('kernel exploded')),
      });
    },
    dispose: () => inner.dispose(),
  };
}

describe('compare when a backend cannot do everything', () => {
  it('records unsupported and failed runs with their reasons and still runs everything else', async () => {
    const results = await compare({ backends: ['broken'], suite: 'smoke', backendFactories: { broken: brokenBackend } });
    const skipped = results.skipped.map((s) => `${s.kind} ${s.workload}: ${s.reason}`);
    expect(skipped).toEqual([
      'unsupported gru T=10: broken backend does not support recurrent cell "gru"',
      'failed lstm chrono:10 T=10: kernel exploded',
      'unsupported gru T=30: broken backend does not support recurrent cell "gru"',
      'failed lstm chrono:30 T=30: kernel exploded',
      // no conv support declared and no conv factory of its own: the MNIST runs are listed, not dropped
      ...['plain-8', 'ResNet-8', 'plain-14', 'ResNet-14'].map((n) => `unsupported ${n} mnist 14×14: broken backend does not support residual variant "conv"`),
    ]);
    expect(results.depth.runs).toHaveLength(8);
    expect(results.time.runs.map((r) => `${r.cell} T=${r.T}`)).toEqual(['rnn T=10', 'rnn T=30']);
    expect(results.agreement.rows.every((r) => r.pass)).toBe(true);
    expect(results.agreement.rows).toHaveLength(8 + 2);
  });
});
