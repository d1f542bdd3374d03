import {
  createAddingTask,
  initParams,
  parseSpec,
  parseTrainingConfig,
  relativeError,
  type ArchitectureNorms,
  type Batch,
  type LossName,
  type Model,
  type NetworkSpecInput,
} from '@gradscope/core';
import { createReferenceBackend } from '@gradscope/testkit';
import { describe, expect, it } from 'vitest';
import { randomBatch } from './__fixtures__/local.js';
import { createBrainBackend } from './backend.js';

/** Each norm against itself (the series span decades): |a - b| / |b|, exact zeros must stay zero. */
function normErrors(actual: ArchitectureNorms, expected: ArchitectureNorms): Record<string, number> {
  const out: Record<string, number> = {};
  const fields = ['blockOutputGradNorms', 'deadUnitFractions', 'hiddenGradNorms', 'cellGradNorms', 'inputGradNorms'] as const;
  for (const field of fields) {
    const e = expected[field]?.flat();
    if (!e) {
      out[field] = actual[field] === undefined ? 0 : Infinity;
      continue;
    }
    const a = actual[field]!.flat();
    out[field] = a.length !== e.length ? Infinity : Math.max(0, ...e.map((v, i) => (v === 0 ? Math.abs(a[i]!) * 1e12 : Math.abs(a[i]! - v) / Math.abs(v))));
  }
  return out;
}

const cases: [string, NetworkSpecInput, LossName][] = [
  ['plain relu 5x2', { kind: 'residual', inputSize: 4, outputSize: 3, width: 9, depth: 5, block: { layers: 2, activation: 'relu', skip: 'none' } }, 'mse'],
  ['residual tanh 6x1', { kind: 'residual', inputSize: 3, outputSize: 4, width: 7, depth: 6, block: { activation: 'tanh' } }, 'crossEntropy'],
  ['residual sigmoid 3x3', { kind: 'residual', inputSize: 2, outputSize: 2, width: 6, depth: 3, block: { layers: 3, activation: 'sigmoid' } }, 'mse'],
  ['residual leakyRelu 4x1', { kind: 'residual', inputSize: 5, outputSize: 3, width: 8, depth: 4, block: { activation: 'leakyRelu' } }, 'crossEntropy'],
  ['plain linear 2x2', { kind: 'residual', inputSize: 3, outputSize: 2, width: 5, depth: 2, block: { layers: 2, activation: 'linear', skip: 'none' } }, 'mse'],
  ['residual relu depth 0', { kind: 'residual', inputSize: 3, outputSize: 2, width: 4, depth: 0 }, 'mse'],
  ['lstm 3x6', { kind: 'recurrent', cell: 'lstm', inputSize: 3, hiddenSize: 6, numLayers: 3, outputSize: 2 }, 'mse'],
  ['gru 2x5', { kind: 'recurrent', cell: 'gru', inputSize: 2, hiddenSize: 5, numLayers: 2, outputSize: 3 }, 'crossEntropy'],
  ['rnn 2x7', { kind: 'recurrent', cell: 'rnn', inputSize: 4, hiddenSize: 7, numLayers: 2, outputSize: 1 }, 'mse'],
];

describe('faithful flavor agrees with the float64 reference backend', () => {
  it.each(cases)('%s: forward 1e-5, every gradient 1e-4, every report norm 1e-3', async (_name, json, loss) => {
    const spec = parseSpec(json);
    const params = initParams(spec, { seed: 3 });
    const batchSize = 5;
    const inputShape = spec.kind === 'residual' ? [batchSize, spec.inputSize] : [batchSize, 7, spec.inputSize];
    const random = randomBatch(inputShape, [batchSize, spec.outputSize], 4);
    const batch: Batch = loss === 'mse' ? random : { input: random.input, target: { shape: [batchSize], data: Float32Array.from({ length: batchSize }, (_, b) => b % spec.outputSize) } };
    const reference = await (await createReferenceBackend().createModel(spec, params)).computeGradients(batch, loss);
    const model = await createBrainBackend().createModel(spec, params);
    expect(relativeError((await model.forward(batch.input)).data, reference.output.data)).toBeLessThan(1e-5);
    const brain = await model.computeGradients(batch, loss);
    expect(relativeError(brain.output.data, reference.output.data)).toBeLessThan(1e-5);
    expect(Math.abs(brain.loss - reference.loss) / reference.loss).toBeLessThan(1e-5);
    for (const name of Object.keys(reference.grads)) {
      expect(relativeError(brain.grads[name]!.data, reference.grads[name]!.data), name).toBeLessThan(1e-4);
    }
    for (const [field, err] of Object.entries(normErrors(brain, reference))) expect(err, field).toBeLessThan(1e-3);
  });

  it('trains like the reference: 20 Adam steps with norm clipping on an LSTM learning the adding problem, loss within 1e-4 per step', async () => {
    const spec = parseSpec({ kind: 'recurrent', cell: 'lstm', inputSize: 2, hiddenSize: 16, outputSize: 1 });
    const params = initParams(spec, { seed: 8 });
    const config = parseTrainingConfig({ optimizer: { type: 'adam', lr: 0.01 }, clip: { type: 'norm', maxNorm: 1 } });
    const task = createAddingTask({ T: 12, seed: 8 });
    const run = async (model: Model): Promise<{ losses: number[]; coefs: number[] }> => {
      model.configureTraining(config);
      const losses: number[] = [];
      const coefs: number[] = [];
      for (let i = 0; i < 20; i++) {
        const r = await model.trainStep(task.trainBatch(16, i));
        losses.push(r.loss);
        coefs.push(r.clipCoef);
      }
      return { losses, coefs };
    };
    const reference = await run(await createReferenceBackend().createModel(spec, params));
    const brain = await run(await createBrainBackend().createModel(spec, params));
    brain.losses.forEach((l, i) => expect(Math.abs(l - reference.losses[i]!) / reference.losses[i]!, `step ${i + 1}`).toBeLessThan(1e-4));
    expect(Math.min(...reference.coefs)).toBeLessThan(1); // clipping was active
    expect(brain.losses[19]).toBeLessThan(brain.losses[0]!);
  });
});
