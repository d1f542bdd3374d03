import { describe, expect, it } from 'vitest';
import { createTfjsBackend } from './backend.js';
import { expectSeriesClose, expectTensorClose, torchCases } from './__fixtures__/torch-cases.js';

// LSTM, GRU (reset-after) and tanh RNN against PyTorch float64 goldens, including the total dL/dh_t grid.
describe.each([
  { device: 'wasm' as const, cases: torchCases('recurrent') },
  { device: 'cpu' as const, cases: torchCases('recurrent').slice(0, 2) },
])('recurrent nets on $device match PyTorch', ({ device, cases }) => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const backend = await createTfjsBackend({ backend: device });
    const model = await backend.createModel(c.spec, c.params);
    expectTensorClose((await model.forward(c.batch.input)).data, c.expected.output, 1e-5, 'forward');
    const r = await model.computeGradients(c.batch, c.loss);
    expect(Math.abs(r.loss - c.expected.loss) / c.expected.loss).toBeLessThanOrEqual(1e-5);
    for (const [name, g] of Object.entries(c.expected.grads)) expectTensorClose(r.grads[name]!.data, g, 1e-4, `grad ${name}`);
    c.expected.hiddenGradNorms!.forEach((row, k) => expectSeriesClose(r.hiddenGradNorms?.[k], row, 1e-3, `hiddenGradNorms[${k}]`));
    if (c.expected.cellGradNorms) {
      c.expected.cellGradNorms.forEach((row, k) => expectSeriesClose(r.cellGradNorms?.[k], row, 1e-3, `cellGradNorms[${k}]`));
    } else {
      expect(r.cellGradNorms).toBeUndefined();
    }
    expectSeriesClose(r.inputGradNorms, c.expected.inputGradNorms!, 1e-3, 'inputGradNorms');
    await backend.dispose();
  });
});
