import { readFileSync } from 'node:fs';
import {
  DisposedError,
  GradscopeError,
  ParamError,
  parseSpec,
  parseTrainingConfig,
  ShapeError,
  type Batch,
  type NetworkSpec,
  type TrainingConfigInput,
} from '@gradscope/core';
import { describe, expect, it } from 'vitest';
import { labels, initParams64, uniformTensor } from './__fixtures__/testing.js';
import { createReferenceBackend } from './backend.js';
import { toParamSet, type Tensor64 } from './params64.js';

const residualSpec = parseSpec({ kind: 'residual', inputSize: 3, outputSize: 2, width: 6, depth: 3, block: { layers: 2, activation: 'tanh' } });
const lstmSpec = parseSpec({ kind: 'recurrent', cell: 'lstm', inputSize: 2, hiddenSize: 4, numLayers: 2, outputSize: 2 });

const f32 = (t: Tensor64) => ({ shape: t.shape, data: Float32Array.from(t.data) });
const batchFor = (spec: NetworkSpec, seed: number, size = 4): Batch => ({
  input: f32(uniformTensor(spec.kind === 'residual' ? [size, spec.inputSize] : [size, 5, spec.inputSize], seed)),
  target: f32(uniformTensor([size, spec.outputSize], seed + 1)),
});

async function modelFor(spec: NetworkSpec, seed = 1) {
  const backend = createReferenceBackend();
  const model = await backend.createModel(spec, toParamSet(spec, initParams64(spec, seed)));
  return { backend, model };
}

describe('backend identity', () => {
  it('declares everything core defines and reports the package version', () => {
    const backend = createReferenceBackend();
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(backend.name).toBe('reference');
    expect(backend.runtime).toEqual({ name: '@gradscope/testkit reference', version: pkg.version, device: 'float64' });
    expect(backend.supports.residual.activations).toEqual(['relu', 'tanh', 'sigmoid', 'leakyRelu', 'gelu', 'linear']);
    expect(backend.supports.recurrent.cells).toEqual(['lstm', 'gru', 'rnn']);
    expect(backend.supports.optimizers).toEqual(['sgd', 'adam', 'adamw']);
    expect(backend.supports.report).toHaveLength(5);
  });
});

describe('parameters', () => {
  it('returns float32 copies equal to what was set, and a caller cannot change the model through them', async () => {
    const { model } = await modelFor(residualSpec);
    const set = toParamSet(residualSpec, initParams64(residualSpec, 7));
    await model.setParams(set);
    const got = await model.getParams();
    expect(Object.keys(got)).toEqual(Object.keys(set));
    for (const [name, t] of Object.entries(set)) expect(got[name]).toEqual(t);
    got['head.bias']!.data[0] = 123;
    set['head.bias']!.data[1] = 456;
    expect((await model.getParams())['head.bias']!.data).toEqual(toParamSet(residualSpec, initParams64(residualSpec, 7))['head.bias']!.data);
  });

  it('rejects a parameter set that does not fit the spec with a ParamError naming each problem', async () => {
    const { backend, model } = await modelFor(lstmSpec);
    const params = toParamSet(lstmSpec, initParams64(lstmSpec, 1));
    delete params['lstm.bias_hh_l1'];
    params['fc.weight'] = { shape: [3, 4], data: new Float32Array(12) };
    const err = await model.setParams(params).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParamError);
    expect((err as Error).message).toContain('missing: lstm.bias_hh_l1');
    expect((err as Error).message).toContain('fc.weight: expected shape [2, 4], got [3, 4]');
    await expect(backend.createModel(lstmSpec, params)).rejects.toThrow(ParamError);
  });
});

describe('spec errors', () => {
  it('rejects an invalid spec with a SpecError naming the path', async () => {
    const bad = { ...residualSpec, block: { layers: 1, activation: 'rleu', skip: 'identity' } } as unknown as NetworkSpec;
    await expect(createReferenceBackend().createModel(bad, {})).rejects.toThrow(/block\.activation: .*"rleu"/);
  });
});

describe('shape errors', () => {
  it('names the expected input shape', async () => {
    const { model } = await modelFor(residualSpec);
    await expect(model.forward({ shape: [2, 4], data: new Float32Array(8) })).rejects.toThrow(new ShapeError('input: expected shape [batch, 3], got [2, 4]'));
    const { model: lstm } = await modelFor(lstmSpec);
    await expect(lstm.forward({ shape: [2, 2], data: new Float32Array(4) })).rejects.toThrow(ShapeError);
  });
  it('names the expected target shape for each loss', async () => {
    const { model } = await modelFor(residualSpec);
    const input = batchFor(residualSpec, 1).input;
    await expect(model.computeGradients({ input, target: { shape: [4], data: new Float32Array(4) } }, 'mse')).rejects.toThrow(
      'target: mse expects shape [4, 2], got [4]',
    );
    await expect(model.computeGradients({ input, target: { shape: [4, 2], data: new Float32Array(8) } }, 'crossEntropy')).rejects.toThrow(
      'target: crossEntropy expects shape [4], got [4, 2]',
    );
  });
});

describe('computeGradients', () => {
  it('gives float32 answers equal to the rounded float64 ones, with every report field', async () => {
    const { model } = await modelFor(lstmSpec);
    const batch = { input: batchFor(lstmSpec, 3).input, target: f32(labels(4, 2, 5)) };
    const r32 = await model.computeGradients(batch, 'crossEntropy');
    const r64 = await model.computeGradients64(batch, 'crossEntropy');
    expect(r32.output.data).toEqual(Float32Array.from(r64.output.data));
    expect(r32.grads['lstm.weight_hh_l1']!.data).toEqual(Float32Array.from(r64.grads['lstm.weight_hh_l1']!.data));
    expect(r32.loss).toBe(r64.loss);
    expect(r32.hiddenGradNorms).toHaveLength(2);
    expect(r32.cellGradNorms).toHaveLength(2);
    expect(r32.inputGradNorms).toHaveLength(5);
  });

  it('lets non-finite values through instead of hiding them', async () => {
    const params = toParamSet(residualSpec, initParams64(residualSpec, 1));
    params['blocks.1.0.weight']!.data[0] = NaN;
    const model = await createReferenceBackend().createModel(residualSpec, params);
    const r = await model.computeGradients(batchFor(residualSpec, 1), 'mse');
    expect(r.loss).toBeNaN();
    expect(Number.isNaN(r.output.data[0])).toBe(true);
    expect(r.blockOutputGradNorms![2]).toBeNaN();
  });
});

describe('training', () => {
  const sgd = (lr: number, extra: Partial<TrainingConfigInput> = {}) => parseTrainingConfig({ optimizer: { type: 'sgd', lr }, ...extra });

  it('one SGD step equals params - lr * grad', async () => {
    const { model } = await modelFor(residualSpec);
    const batch = batchFor(residualSpec, 2);
    const before = await model.getParams64();
    const { grads } = await model.computeGradients64(batch, 'mse');
    model.configureTraining(sgd(0.1));
    const step = await model.trainStep(batch);
    expect(step.step).toBe(1);
    expect(step.lr).toBe(0.1);
    const after = await model.getParams64();
    for (const [name, p] of Object.entries(before)) {
      const want = p.data.map((v, i) => v - 0.1 * grads[name]!.data[i]!);
      expect(Array.from(after[name]!.data)).toEqual(Array.from(want));
    }
  });

  it('norm clipping scales the step by the reported coefficient', async () => {
    const { model } = await modelFor(lstmSpec);
    const batch = batchFor(lstmSpec, 2);
    const before = await model.getParams64();
    const { grads } = await model.computeGradients64(batch, 'mse');
    model.configureTraining(sgd(1, { clip: { type: 'norm', maxNorm: 1e-3 } }));
    const step = await model.trainStep(batch);
    expect(step.clipCoef).toBeCloseTo(1e-3 / (step.gradNorm + 1e-6), 15);
    const after = await model.getParams64();
    const w = 'lstm.weight_ih_l0';
    after[w]!.data.forEach((v, i) => expect(v).toBeCloseTo(before[w]!.data[i]! - step.clipCoef * grads[w]!.data[i]!, 14));
  });

  it('a monitored step reports loss, lr, norms and per-parameter stats', async () => {
    const { model } = await modelFor(residualSpec);
    model.configureTraining(parseTrainingConfig({ optimizer: { type: 'adam', lr: 1e-2 }, schedule: { type: 'step', stepSize: 1, gamma: 0.5 } }));
    const batch = batchFor(residualSpec, 3);
    const first = await model.trainStep(batch, { report: true });
    const second = await model.trainStep(batch, { report: true });
    expect(first.report?.lr).toBe(1e-2);
    expect(second.report?.lr).toBe(5e-3);
    expect(second.report?.step).toBe(2);
    expect(second.report?.blockOutputGradNorms).toHaveLength(3);
    expect(second.report?.deadUnitFractions).toHaveLength(3);
    expect(Object.keys(second.report!.params)).toEqual(Object.keys(await model.getParams()));
    expect(second.report!.params['head.weight']!.updateRatio).toBeGreaterThan(0);
    expect((await model.trainStep(batch)).report).toBeUndefined();
  });

  it.each([
    { optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 1e-3 }, schedule: { type: 'cosine', tMax: 5 } },
    { optimizer: { type: 'adam', lr: 1e-2, weightDecay: 1e-3 }, clip: { type: 'value', clipValue: 0.01 } },
    { optimizer: { type: 'adamw', lr: 1e-2 }, schedule: { type: 'step', stepSize: 2 }, clip: { type: 'norm', maxNorm: 0.1 } },
  ] as TrainingConfigInput[])('a saved state resumes exactly like uninterrupted training ($optimizer.type)', async (json) => {
    const config = parseTrainingConfig(json);
    const batches = [0, 1, 2, 3].map((s) => batchFor(lstmSpec, 10 + s));
    const { backend, model: a } = await modelFor(lstmSpec);
    a.configureTraining(config);
    for (const b of batches.slice(0, 2)) await a.trainStep(b);
    const state = await a.getTrainingState();
    const params = await a.getParams64();

    const b = await backend.createModel(lstmSpec, toParamSet(lstmSpec, initParams64(lstmSpec, 99)));
    b.configureTraining(config);
    await b.setParams64(params);
    await b.setTrainingState(state);
    // The state handed out is a copy: changing it must not change either model.
    Object.values(state.optimizer.slots).forEach((bufs) => Object.values(bufs).forEach((buf) => buf.fill(7)));

    for (const batch of batches.slice(2)) {
      const [ra, rb] = [await a.trainStep(batch), await b.trainStep(batch)];
      expect(rb).toEqual(ra);
    }
    expect(await b.getParams64()).toEqual(await a.getParams64());
    expect((await b.getTrainingState()).step).toBe(4);
  });

  it('rejects an optimizer state whose buffers do not fit the spec', async () => {
    const { model } = await modelFor(lstmSpec);
    const state = { step: 1, optimizer: { step: 1, slots: { exp_avg: { 'fc.weight': new Float64Array(3), 'lstm.weight': new Float64Array(1) } } } };
    await expect(model.setTrainingState(state)).rejects.toThrow(/optimizer buffers do not match the spec:[\s\S]*unexpected: exp_avg\.lstm\.weight[\s\S]*exp_avg\.fc\.weight: expected shape \[2, 4\], got \[3\]/);
  });

  it('refuses a step with a non-finite loss: it reports it and leaves the float64 weights as they were', async () => {
    const params = toParamSet(residualSpec, initParams64(residualSpec, 1));
    params['head.bias']!.data[0] = Infinity;
    const model = await createReferenceBackend().createModel(residualSpec, params);
    model.configureTraining(sgd(0.1));
    const before = await model.getParams64();
    const step = await model.trainStep(batchFor(residualSpec, 1), { report: true });
    expect(step).toMatchObject({ step: 1, loss: Infinity, nonFinite: 'loss' });
    expect(step.report!.params['head.bias']!.gradNorm).toBe(Infinity);
    expect(await model.getParams64()).toEqual(before);
  });

  it('rejects an invalid training config with a SpecError naming the path', async () => {
    const { model } = await modelFor(residualSpec);
    expect(() => model.configureTraining({ loss: 'mse', optimizer: { type: 'adam', lr: -1 } } as never)).toThrow(/optimizer\.lr/);
  });

  it('configureTraining resets the step count; trainStep before it is a clear error', async () => {
    const { model } = await modelFor(residualSpec);
    const batch = batchFor(residualSpec, 1);
    await expect(model.trainStep(batch)).rejects.toThrow(GradscopeError);
    await expect(model.trainStep(batch)).rejects.toThrow('reference model: call configureTraining(config) before trainStep()');
    model.configureTraining(sgd(0.1));
    await model.trainStep(batch);
    model.configureTraining(sgd(0.1));
    expect((await model.getTrainingState()).step).toBe(0);
  });
});

describe('dispose', () => {
  it('makes every model method throw DisposedError, is idempotent, and a disposed backend disposes its models', async () => {
    const { backend, model } = await modelFor(residualSpec);
    const other = await backend.createModel(residualSpec, await model.getParams());
    const batch = batchFor(residualSpec, 1);
    await model.dispose();
    await model.dispose();
    const calls: (() => unknown)[] = [
      () => model.forward(batch.input),
      () => model.computeGradients(batch, 'mse'),
      () => model.configureTraining(parseTrainingConfig({ optimizer: { type: 'sgd', lr: 1 } })),
      () => model.trainStep(batch),
      () => model.getParams(),
      () => model.setParams({}),
      () => model.getTrainingState(),
      () => model.setTrainingState({ step: 0, optimizer: { step: 0, slots: {} } }),
    ];
    for (const call of calls) await expect((async () => call())()).rejects.toThrow(DisposedError);
    await expect(other.forward(batch.input)).resolves.toBeDefined();
    await backend.dispose();
    await backend.dispose();
    await expect(other.getParams()).rejects.toThrow('reference model was used after dispose()');
    await expect(backend.createModel(residualSpec, {})).rejects.toThrow(DisposedError);
  });
});
