import { relativeError } from '@gradscope/core';
import { describe, expect, it } from 'vitest';
import { loadTorchFixture } from './__fixtures__/torch.js';
import { createBrainBackend } from './backend.js';

describe.each(['residual-relu', 'plain-sigmoid', 'residual-leakyrelu-ce', 'residual-tanh'])('faithful %s against PyTorch float64', (name) => {
  it('matches output, loss, every gradient and every block-output norm', async () => {
    const fx = loadTorchFixture(name);
    const backend = createBrainBackend();
    const model = await backend.createModel(fx.spec, fx.params);
    expect(relativeError((await model.forward(fx.input)).data, fx.output)).toBeLessThan(1e-5);
    const r = await model.computeGradients({ input: fx.input, target: fx.target }, fx.loss);
    expect(Math.abs(r.loss - fx.lossValue) / fx.lossValue).toBeLessThan(1e-5);
    for (const [param, g] of Object.entries(fx.grads)) {
      expect(relativeError(r.grads[param]!.data, g), param).toBeLessThan(1e-4);
    }
    const norms = r.blockOutputGradNorms!;
    expect(norms).toHaveLength(fx.blockOutputGradNorms!.length);
    norms.forEach((n, i) => expect(Math.abs(n - fx.blockOutputGradNorms![i]!) / fx.blockOutputGradNorms![i]!).toBeLessThan(1e-3));
    await backend.dispose();
  });
});
