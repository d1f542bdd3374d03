import { describe, expect, it } from 'vitest';
import { createTfjsBackend } from './backend.js';
import { expectSeriesClose, expectTensorClose, torchCases } from './__fixtures__/torch-cases.js';

// Residual and plain dense nets against PyTorch float64 goldens: forward 1e-5, gradients 1e-4, report norms 1e-3.
describe.each([
  { device: 'wasm' as const, cases: torchCases('residual') },
  { device: 'cpu' as const, cases: torchCases('residual').slice(0, 2) },
])('residual nets on $device match PyTorch', ({ device, cases }) => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const backend = await createTfjsBackend({ backend: device });
    const model = await backend.createModel(c.spec, c.params);
    const out = await model.forward(c.batch.input);
    expectTensorClose(out.data, c.expected.output, 1e-5, 'forward');
    const r = await model.computeGradients(c.batch, c.loss);
    expect(Math.abs(r.loss - c.expected.loss) / c.expected.loss).toBeLessThanOrEqual(1e-5);
    expectTensorClose(r.output.data, c.expected.output, 1e-5, 'output');
    for (const [name, g] of Object.entries(c.expected.grads)) expectTensorClose(r.grads[name]!.data, g, 1e-4, `grad ${name}`);
    expectSeriesClose(r.blockOutputGradNorms, c.expected.blockOutputGradNorms!, 1e-3, 'blockOutputGradNorms');
    expect(r.deadUnitFractions).toEqual(c.expected.deadUnitFractions);
    await backend.dispose();
  });
});
