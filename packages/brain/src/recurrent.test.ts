import { relativeError } from '@gradscope/core';
import { describe, expect, it } from 'vitest';
import { loadTorchFixture } from './__fixtures__/torch.js';
import { createBrainBackend } from './backend.js';

/** max over a series of |a - b| / |b|: each norm against itself, as DESIGN.md asks for norm series. */
function seriesError(actual: readonly number[], expected: readonly number[]): number {
  expect(actual).toHaveLength(expected.length);
  return Math.max(...expected.map((e, i) => Math.abs(actual[i]! - e) / Math.abs(e)));
}

describe.each(['lstm-2x7', 'gru-2x5', 'rnn-1x6'])('faithful %s against PyTorch float64', (name) => {
  it('matches output, loss, every gradient and every per-timestep norm', async () => {
    const fx = loadTorchFixture(name);
    const backend = createBrainBackend();
    const model = await backend.createModel(fx.spec, fx.params);
    const forward = await model.forward(fx.input);
    expect(relativeError(forward.data, fx.output)).toBeLessThan(1e-5);
    const r = await model.computeGradients({ input: fx.input, target: fx.target }, fx.loss);
    expect(relativeError(r.output.data, fx.output)).toBeLessThan(1e-5);
    expect(Math.abs(r.loss - fx.lossValue) / fx.lossValue).toBeLessThan(1e-5);
    for (const [param, g] of Object.entries(fx.grads)) {
      expect(relativeError(r.grads[param]!.data, g), param).toBeLessThan(1e-4);
    }
    r.hiddenGradNorms!.forEach((row, k) => expect(seriesError(row, fx.hiddenGradNorms![k]!)).toBeLessThan(1e-3));
    if (fx.cellGradNorms) r.cellGradNorms!.forEach((row, k) => expect(seriesError(row, fx.cellGradNorms![k]!)).toBeLessThan(1e-3));
    else expect(r.cellGradNorms).toBeUndefined();
    expect(seriesError(r.inputGradNorms!, fx.inputGradNorms!)).toBeLessThan(1e-3);
    await backend.dispose();
  });
});
