import { initParams, parseSpec, parseTrainingConfig, TrainingNotConfiguredError } from '@gradscope/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createOnnxBackend } from './backend.js';
import { compileModel } from './compile.js';
import { seededRandom, uniform } from './test-helpers.js';

const backend = createOnnxBackend();
afterAll(() => backend.dispose());

describe('trainStep', () => {
  const spec = parseSpec({ kind: 'recurrent', cell: 'lstm', inputSize: 2, hiddenSize: 4, numLayers: 2, outputSize: 1 });
  const rand = seededRandom(3);
  const batch = { input: { shape: [3, 5, 2], data: uniform(rand, 30, -1, 1) }, target: { shape: [3, 1], data: uniform(rand, 3, -1, 1) } };
  const config = parseTrainingConfig({ optimizer: { type: 'adam', lr: 1e-2 }, clip: { type: 'norm', maxNorm: 0.01 } });

  it('needs configureTraining first', async () => {
    const model = await backend.createModel(spec, initParams(spec, { seed: 1 }));
    await expect(model.trainStep(batch)).rejects.toThrow(TrainingNotConfiguredError);
    await expect(model.trainStep(batch)).rejects.toThrow('onnx model: call configureTraining(config) before trainStep()');
    await model.dispose();
  });

  it('reports the full GradientReport only when asked, matching computeGradients on the same weights', async () => {
    const model = await backend.createModel(spec, initParams(spec, { seed: 1 }));
    model.configureTraining(config);
    const plain = await model.trainStep(batch);
    expect(plain.report).toBeUndefined();
    const before = await model.getParams();
    const expected = await model.computeGradients(batch, 'mse');
    const { report } = await model.trainStep(batch, { report: true });
    expect(report!.step).toBe(2);
    expect(report!.loss).toBeCloseTo(expected.loss, 6);
    expect(report!.hiddenGradNorms).toEqual(expected.hiddenGradNorms);
    expect(report!.cellGradNorms).toEqual(expected.cellGradNorms);
    expect(report!.inputGradNorms).toHaveLength(5);
    expect(report!.clipCoef).toBeLessThan(1);
    const after = await model.getParams();
    for (const [name, stats] of Object.entries(report!.params)) {
      const g = expected.grads[name]!.data;
      expect(stats.gradNorm).toBeCloseTo(Math.hypot(...g), 6);
      const delta = Math.hypot(...after[name]!.data.map((v, i) => v - before[name]!.data[i]!));
      expect(stats.updateRatio).toBeCloseTo(delta / Math.hypot(...before[name]!.data), 6);
    }
    await model.dispose();
  });

  it('resumes identically from getTrainingState/setTrainingState and getParams/setParams', async () => {
    const a = await backend.createModel(spec, initParams(spec, { seed: 2 }));
    a.configureTraining(config);
    await a.trainStep(batch);
    await a.trainStep(batch);
    const saved = { params: await a.getParams(), state: await a.getTrainingState() };
    const b = await backend.createModel(spec, initParams(spec, { seed: 9 }));
    b.configureTraining(config);
    await b.setParams(saved.params);
    await b.setTrainingState(saved.state);
    const ra = await a.trainStep(batch);
    const rb = await b.trainStep(batch);
    expect(rb.step).toBe(3);
    expect(rb.loss).toBe(ra.loss);
    const [pa, pb] = [await a.getParams(), await b.getParams()];
    for (const name of Object.keys(pa)) expect(pb[name]!.data).toEqual(pa[name]!.data);
    await a.dispose();
    await b.dispose();
  });
});

describe('what each step fetches', () => {
  it('an unmonitored step compiles no norm outputs; a monitored one adds them', () => {
    const spec = parseSpec({ kind: 'residual', inputSize: 3, outputSize: 2, width: 4, depth: 2 });
    const train = compileModel(spec, { purpose: 'train', batch: 2, steps: 0, loss: 'mse' }).fetch;
    const report = compileModel(spec, { purpose: 'report', batch: 2, steps: 0, loss: 'mse' }).fetch;
    expect(train.filter((n) => n.startsWith('norms/'))).toEqual([]);
    expect(train).not.toContain('output');
    expect(report.filter((n) => !train.includes(n))).toEqual(['output', 'norms/block', 'norms/dead']);
  });
});

describe('vanishing gradients show up in the report', () => {
  const blockNorms = async (skip: 'identity' | 'none'): Promise<number[]> => {
    const spec = parseSpec({ kind: 'residual', inputSize: 8, outputSize: 4, width: 16, depth: 16, block: { activation: 'sigmoid', skip } });
    const model = await backend.createModel(spec, initParams(spec, { seed: 5 }));
    const rand = seededRandom(5);
    const r = await model.computeGradients({ input: { shape: [16, 8], data: uniform(rand, 128, -1, 1) }, target: { shape: [16, 4], data: uniform(rand, 64, -1, 1) } }, 'mse');
    await model.dispose();
    return r.blockOutputGradNorms!;
  };

  it('plain sigmoid depth 16: first/last block-output gradient norm < 1e-3', async () => {
    const n = await blockNorms('none');
    expect(n[0]! / n[15]!).toBeLessThan(1e-3);
  });

  it('residual sigmoid depth 16: first/last block-output gradient norm > 0.1', async () => {
    const n = await blockNorms('identity');
    expect(n[0]! / n[15]!).toBeGreaterThan(0.1);
  });
});

