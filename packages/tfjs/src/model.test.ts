import { readFileSync } from 'node:fs';
import { NonFiniteLossError, ParamError, TrainingNotConfiguredError, parseSpec, parseTrainingConfig, relativeError, tensor, train, type Batch, type ParamSet, type Task } from '@gradscope/core';
import { describe, expect, it } from 'vitest';
import { createTfjsBackend } from './backend.js';
import { expectTensorClose } from './__fixtures__/torch-cases.js';

// Training against torch.optim trajectories (float64): every optimizer, schedule and clipping mode of DESIGN.md.
interface RawTensor {
  shape: number[];
  data: number[];
}
interface TorchStep {
  loss: number;
  gradNorm: number;
  clipCoef: number;
  lr: number;
}
const fixture = JSON.parse(readFileSync(new URL('./__fixtures__/torch-training.json', import.meta.url), 'utf8')) as {
  residual: {
    spec: unknown;
    params: Record<string, RawTensor>;
    batches: { input: RawTensor; target: RawTensor }[];
    runs: { config: unknown; steps: TorchStep[]; firstStepParams: Record<string, { gradNorm: number; weightNorm: number; updateRatio: number }>; finalParams: Record<string, number[]> }[];
  };
  adding: { spec: unknown; params: Record<string, RawTensor>; config: unknown; batches: { input: RawTensor; target: RawTensor }[]; steps: TorchStep[] };
};

const params = (raw: Record<string, RawTensor>): ParamSet => Object.fromEntries(Object.entries(raw).map(([n, t]) => [n, tensor(t.shape, t.data)]));
const batches = (raw: { input: RawTensor; target: RawTensor }[]): Batch[] => raw.map((b) => ({ input: tensor(b.input.shape, b.input.data), target: tensor(b.target.shape, b.target.data) }));
const rel = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

describe('training follows torch.optim', () => {
  const { residual } = fixture;
  const spec = parseSpec(residual.spec);
  it.each(residual.runs.map((r) => [JSON.stringify(r.config), r] as const))('%s', async (_, run) => {
    const backend = await createTfjsBackend();
    const model = await backend.createModel(spec, params(residual.params));
    model.configureTraining(parseTrainingConfig(run.config));
    const data = batches(residual.batches);
    for (const [i, expected] of run.steps.entries()) {
      const r = await model.trainStep(data[i]!, { report: i === 0 });
      expect(r.step).toBe(i + 1);
      expect(rel(r.loss, expected.loss), `loss at step ${i + 1}`).toBeLessThanOrEqual(1e-5);
      expect(rel(r.gradNorm, expected.gradNorm), `gradNorm at step ${i + 1}`).toBeLessThanOrEqual(1e-4);
      expect(rel(r.clipCoef, expected.clipCoef), `clipCoef at step ${i + 1}`).toBeLessThanOrEqual(1e-4);
      expect(r.lr).toBeCloseTo(expected.lr, 12);
      if (i === 0) {
        expect(r.report).toBeDefined();
        for (const [name, s] of Object.entries(run.firstStepParams)) {
          const got = r.report!.params[name]!;
          expect(rel(got.gradNorm, s.gradNorm), `${name} gradNorm`).toBeLessThanOrEqual(1e-3);
          expect(rel(got.weightNorm, s.weightNorm), `${name} weightNorm`).toBeLessThanOrEqual(1e-5);
          expect(rel(got.updateRatio, s.updateRatio), `${name} updateRatio`).toBeLessThanOrEqual(1e-3);
        }
      } else {
        expect(r.report).toBeUndefined();
      }
    }
    const final = await model.getParams();
    for (const [name, p] of Object.entries(run.finalParams)) expectTensorClose(final[name]!.data, p, 1e-4, `final ${name}`);
    await backend.dispose();
  });

  it('follows the LSTM adding-problem loss trajectory (Adam, clip norm 1) within 1e-4 per step for 20 steps', async () => {
    const { adding } = fixture;
    const backend = await createTfjsBackend();
    const model = await backend.createModel(parseSpec(adding.spec), params(adding.params));
    model.configureTraining(parseTrainingConfig(adding.config));
    const data = batches(adding.batches);
    const losses: number[] = [];
    for (const b of data) losses.push((await model.trainStep(b)).loss);
    adding.steps.forEach((s, i) => expect(rel(losses[i]!, s.loss), `step ${i + 1}: ${losses[i]} vs ${s.loss}`).toBeLessThanOrEqual(1e-4));
    // It learns: the last losses sit well below the first (the trajectory is not flat).
    expect(losses.at(-1)!).toBeLessThan(losses[0]! / 3);
    await backend.dispose();
  });

  it('resumes exactly from getParams + getTrainingState', async () => {
    const { residual } = fixture;
    const config = parseTrainingConfig(residual.runs[3]!.config); // adam with weight decay and clipping
    const data = batches(residual.batches);
    const backend = await createTfjsBackend();
    const straight = await backend.createModel(spec, params(residual.params));
    straight.configureTraining(config);
    for (const b of data) await straight.trainStep(b);

    const first = await backend.createModel(spec, params(residual.params));
    first.configureTraining(config);
    for (const b of data.slice(0, 2)) await first.trainStep(b);
    const resumed = await backend.createModel(spec, await first.getParams());
    resumed.configureTraining(config);
    const state = await first.getTrainingState();
    expect(state.step).toBe(2);
    expect(Object.keys(state.optimizer.slots).sort()).toEqual(['exp_avg', 'exp_avg_sq']);
    // Slots are in PyTorch layout: same shape as the parameter.
    expect(state.optimizer.slots.exp_avg!['stem.weight']!.length).toBe(6 * 3);
    await resumed.setTrainingState(state);
    const steps = [];
    for (const b of data.slice(2)) steps.push((await resumed.trainStep(b)).step);
    expect(steps).toEqual([3, 4, 5]);
    const a = await straight.getParams();
    const b = await resumed.getParams();
    for (const name of Object.keys(a)) expect(relativeError(b[name]!.data, a[name]!.data), name).toBe(0);
    await backend.dispose();
  });

  it('reports a non-finite loss instead of hiding it, so core’s train() stops and restores the last good weights', async () => {
    const backend = await createTfjsBackend();
    const model = await backend.createModel(spec, params(residual.params));
    model.configureTraining(parseTrainingConfig({ optimizer: { type: 'sgd', lr: 0.1 } }));
    const input = batches(residual.batches)[0]!.input;
    const overflow = { input, target: tensor([5, 2], new Array(10).fill(1e30)) }; // (1e30)^2 overflows float32
    const step = await model.trainStep(overflow, { report: true });
    expect(step.loss).toBe(Infinity);
    expect(step.report!.loss).toBe(Infinity);
    const nan = await model.computeGradients({ input, target: tensor([5, 2], new Array(10).fill(Number.NaN)) }, 'mse');
    expect(nan.loss).toBeNaN();
    for (const n of nan.blockOutputGradNorms!) expect(n).toBeNaN();

    // A task whose third batch overflows: train() stops there and puts back weights whose loss was finite.
    const start = params(residual.params);
    await model.setParams(start);
    const data = batches(residual.batches);
    const task: Task = {
      name: 'overflow-at-3',
      inputSize: 3,
      outputSize: 2,
      loss: 'mse',
      trainBatch: (_size, index) => (index === 2 ? { input: data[2]!.input, target: tensor([5, 2], new Array(10).fill(1e30)) } : data[index]!),
      testSet: () => data[0]!,
    };
    const result = await train({ model, task, steps: 5, batchSize: 5, config: { optimizer: { type: 'sgd', lr: 0.1 } } });
    expect(result.stopReason).toBe('nonFiniteLoss');
    expect(result.error).toBeInstanceOf(NonFiniteLossError);
    expect(result.losses).toHaveLength(3);
    for (const p of Object.values(await model.getParams())) expect(p.data.every(Number.isFinite)).toBe(true);
    await backend.dispose();
  });

  it('rejects an optimizer state that does not fit the model, naming each slot', async () => {
    const backend = await createTfjsBackend();
    const model = await backend.createModel(spec, params(residual.params));
    model.configureTraining(parseTrainingConfig({ optimizer: { type: 'adam', lr: 0.01 } }));
    const state = { step: 1, optimizer: { step: 1, slots: { exp_avg: { 'stem.weight': new Float32Array(5), 'nope.weight': new Float32Array(1) } } } };
    await expect(model.setTrainingState(state)).rejects.toThrow(ParamError);
    await expect(model.setTrainingState(state)).rejects.toThrow(/unexpected: exp_avg\.nope\.weight[\s\S]*exp_avg\.stem\.weight: expected shape \[6, 3\], got \[5\]/);
    await backend.dispose();
  });

  it('asks for configureTraining before the first step', async () => {
    const backend = await createTfjsBackend();
    const model = await backend.createModel(spec, params(residual.params));
    await expect(model.trainStep(batches(residual.batches)[0]!)).rejects.toThrow('tfjs model: call configureTraining(config) before trainStep()');
    await expect(model.trainStep(batches(residual.batches)[0]!)).rejects.toBeInstanceOf(TrainingNotConfiguredError);
    await backend.dispose();
  });
});
