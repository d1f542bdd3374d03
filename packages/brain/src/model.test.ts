import { readFileSync } from 'node:fs';
import { initParams, parseSpec, parseTrainingConfig, tensor, type Batch, type ParamSet } from '@gradscope/core';
import { describe, expect, it } from 'vitest';
import { addingBatch } from './__fixtures__/local.js';
import { createBrainBackend } from './backend.js';

interface TensorJson {
  shape: number[];
  data: number[];
}
const trajectory = JSON.parse(readFileSync(new URL('./__fixtures__/torch-trajectory-lstm-adam-clip.json', import.meta.url), 'utf8')) as {
  spec: unknown;
  params: Record<string, TensorJson>;
  config: unknown;
  batches: { input: TensorJson; target: TensorJson }[];
  losses: number[];
};

describe('training', () => {
  it('follows PyTorch for 20 Adam steps with norm clipping on an LSTM learning the adding problem (1e-4 per step)', async () => {
    const spec = parseSpec(trajectory.spec);
    const params: ParamSet = Object.fromEntries(Object.entries(trajectory.params).map(([n, t]) => [n, tensor(t.shape, t.data)]));
    const model = await createBrainBackend().createModel(spec, params);
    model.configureTraining(parseTrainingConfig(trajectory.config));
    const losses: number[] = [];
    const clipped: number[] = [];
    for (const b of trajectory.batches) {
      const r = await model.trainStep({ input: tensor(b.input.shape, b.input.data), target: tensor(b.target.shape, b.target.data) });
      losses.push(r.loss);
      clipped.push(r.clipCoef);
    }
    losses.forEach((l, i) => expect(Math.abs(l - trajectory.losses[i]!) / trajectory.losses[i]!, `step ${i + 1}`).toBeLessThan(1e-4));
    expect(Math.min(...clipped)).toBeLessThan(1); // the clipping path was exercised
    expect(losses[19]).toBeLessThan(losses[0]! / 3);
  });

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
