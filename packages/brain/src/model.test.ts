import { initParams, parseSpec, parseTrainingConfig, type Batch } from '@gradscope/core';
import { describe, expect, it } from 'vitest';
import { addingBatch } from './__fixtures__/local.js';
import { createBrainBackend } from './backend.js';

describe('training', () => {
  const spec = parseSpec({ kind: 'recurrent', cell: 'gru', inputSize: 2, hiddenSize: 6, outputSize: 1 });
  const batches: Batch[] = [0, 1, 2, 3].map((s) => addingBatch(4, 6, s));

  it('resumes from getParams + getTrainingState exactly as uninterrupted training', async () => {
    const config = parseTrainingConfig({ optimizer: { type: 'sgd', lr: 0.1, momentum: 0.9 }, schedule: { type: 'step', stepSize: 2, gamma: 0.5 } });
    const backend = createBrainBackend();
    const straight = await backend.createModel(spec, initParams(spec, { seed: 3 }));
    straight.configureTraining(config);
    for (const b of batches) await straight.trainStep(b);

    const first = await backend.createModel(spec, initParams(spec, { seed: 3 }));
    first.configureTraining(config);
    for (const b of batches.slice(0, 2)) await first.trainStep(b);
    const resumed = await backend.createModel(spec, await first.getParams());
    resumed.configureTraining(config);
    await resumed.setTrainingState(await first.getTrainingState());
    const steps = [];
    for (const b of batches.slice(2)) steps.push(await resumed.trainStep(b));
    expect(steps.map((s) => s.step)).toEqual([3, 4]);
    expect(steps[1]!.lr).toBeCloseTo(0.05, 12);
    const a = await straight.getParams();
    const b = await resumed.getParams();
    for (const name of Object.keys(a)) expect(Array.from(b[name]!.data), name).toEqual(Array.from(a[name]!.data));
  });

  it('reports per-parameter stats and the recurrent grid on a monitored step, equal to computeGradients', async () => {
    const model = await createBrainBackend().createModel(spec, initParams(spec, { seed: 4 }));
    const probe = await model.computeGradients(batches[0]!, 'mse');
    model.configureTraining({ loss: 'mse', optimizer: { type: 'adamw', lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01 }, schedule: { type: 'constant' } });
    const { report } = await model.trainStep(batches[0]!, { report: true });
    expect(report!.loss).toBe(probe.loss);
    expect(report!.hiddenGradNorms).toEqual(probe.hiddenGradNorms);
    expect(report!.inputGradNorms).toEqual(probe.inputGradNorms);
    expect(Object.keys(report!.params)).toEqual(Object.keys(probe.grads));
    const stats = report!.params['gru.weight_hh_l0']!;
    expect(stats.gradNorm).toBeCloseTo(Math.hypot(...probe.grads['gru.weight_hh_l0']!.data), 6);
    expect(stats.updateRatio).toBeGreaterThan(0);
  });
});
