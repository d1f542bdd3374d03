import { paramShapes, parseTrainingConfig, relativeError } from '@gradscope/core';
import { describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../reference/backend.js';
import { loadConvGoldens, loadConvTrajectories } from './conv.js';

// The reference must match PyTorch's float64 conv goldens to 1e-9: outputs, losses, every trainable gradient,
// per-block gradient norms and, in BN train mode, the running statistics a training step leaves behind.
const backend = createReferenceBackend();
const cases = loadConvGoldens();

describe('the reference conv net matches every PyTorch conv golden to 1e-9', () => {
  it('covers both shortcut kinds, plain and residual, BN train and eval, no BN, both stems and both losses', () => {
    const ids = cases.map((c) => c.id);
    for (const part of ['projection', 'zeropad', 'plain', 'BN train', 'BN eval', 'norm none', 'imagenet', '· mse', '· crossEntropy']) {
      expect(ids.some((id) => id.includes(part)), part).toBe(true);
    }
  });

  it.each(cases.map((c) => [c.id, c] as const))('%s', async (_, c) => {
    const model = await backend.createModel(c.spec, c.params);
    model.setBatchNormMode(c.mode);
    expect(relativeError((await model.forward64(c.batch.input)).data, c.expected.output.data), 'output').toBeLessThan(1e-9);
    const r = await model.computeGradients64(c.batch, c.loss);
    expect(Math.abs(r.loss - c.expected.loss) / Math.abs(c.expected.loss), 'loss').toBeLessThan(1e-9);
    expect(Object.keys(r.grads)).toEqual(Object.keys(c.expected.grads));
    for (const [name, g] of Object.entries(c.expected.grads)) expect(relativeError(r.grads[name]!.data, g.data), name).toBeLessThan(1e-9);
    expect(r.blockOutputGradNorms).toHaveLength(c.expected.blockOutputGradNorms.length);
    r.blockOutputGradNorms.forEach((n, i) => expect(Math.abs(n - c.expected.blockOutputGradNorms[i]!) / c.expected.blockOutputGradNorms[i]!, `block ${i}`).toBeLessThan(1e-9));
    if (c.expected.runningStats) {
      model.configureTraining(parseTrainingConfig({ loss: c.loss, optimizer: { type: 'sgd', lr: 0.1 } }));
      await model.trainStep(c.batch);
      const after = await model.getParams64();
      const stats = paramShapes(c.spec).filter((p) => p.trainable === false).map((p) => p.name);
      expect(Object.keys(c.expected.runningStats).sort()).toEqual([...stats].sort());
      for (const name of stats) expect(relativeError(after[name]!.data, c.expected.runningStats[name]!.data), name).toBeLessThan(1e-9);
    }
    await model.dispose();
  });
});

describe('the reference conv net follows PyTorch training trajectories (BN train mode) to 1e-9', () => {
  it.each(loadConvTrajectories().map((t) => [t.id, t] as const))('%s', async (_, t) => {
    const model = await backend.createModel(t.spec, t.params);
    model.configureTraining(t.config);
    for (const s of t.steps) {
      const r = await model.trainStep(t.batch);
      expect(Math.abs(r.loss - s.loss) / Math.abs(s.loss), `step ${s.step} loss`).toBeLessThan(1e-9);
      expect(Math.abs(r.gradNorm - s.gradNorm) / s.gradNorm, `step ${s.step} gradient norm`).toBeLessThan(1e-9);
      const after = await model.getParams64();
      expect(Object.keys(after)).toEqual(Object.keys(s.params));
      for (const [name, p] of Object.entries(s.params)) expect(relativeError(after[name]!.data, p.data), `step ${s.step} ${name}`).toBeLessThan(1e-9);
    }
    expect(model.batchesTracked).toBe(t.steps.length);
    await model.dispose();
  });
});
