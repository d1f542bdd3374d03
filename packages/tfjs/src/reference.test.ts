import {
  createAddingTask,
  createRng,
  initParams,
  parseSpec,
  parseTrainingConfig,
  type Batch,
  type LossName,
  type NetworkSpec,
  type NetworkSpecInput,
} from '@gradscope/core';
import { createReferenceBackend } from '@gradscope/testkit';
import { describe, expect, it } from 'vitest';
import { createTfjsBackend, type TfjsDevice } from './index.js';
import { expectSeriesClose, expectTensorClose } from './__fixtures__/close.js';

// Agreement with @gradscope/testkit's float64 reference: forward 1e-5, gradients 1e-4, report norms 1e-3.
function randomBatch(spec: NetworkSpec, loss: LossName, size: number, steps: number, seed: number): Batch {
  const rng = createRng(seed);
  const inShape = spec.kind === 'residual' ? [size, spec.inputSize] : [size, steps, spec.inputSize];
  const input = { shape: inShape, data: Float32Array.from({ length: inShape.reduce((a, b) => a * b, 1) }, () => rng.normal()) };
  const target =
    loss === 'mse'
      ? { shape: [size, spec.outputSize], data: Float32Array.from({ length: size * spec.outputSize }, () => rng.normal()) }
      : { shape: [size], data: Float32Array.from({ length: size }, () => rng.int(spec.outputSize)) };
  return { input, target };
}

const cases: [string, NetworkSpecInput, LossName][] = [
  ['residual relu 2-layer blocks', { kind: 'residual', inputSize: 5, outputSize: 3, width: 12, depth: 6, block: { layers: 2, activation: 'relu' } }, 'mse'],
  ['plain sigmoid depth 12', { kind: 'residual', inputSize: 5, outputSize: 3, width: 10, depth: 12, block: { activation: 'sigmoid', skip: 'none' } }, 'crossEntropy'],
  ['residual gelu', { kind: 'residual', inputSize: 4, outputSize: 2, width: 8, depth: 4, block: { activation: 'gelu' } }, 'mse'],
  ['residual leakyRelu', { kind: 'residual', inputSize: 4, outputSize: 2, width: 8, depth: 3, block: { activation: 'leakyRelu' } }, 'crossEntropy'],
  ['lstm 2x7', { kind: 'recurrent', cell: 'lstm', inputSize: 3, hiddenSize: 7, numLayers: 2, outputSize: 2 }, 'mse'],
  ['gru 2x6', { kind: 'recurrent', cell: 'gru', inputSize: 3, hiddenSize: 6, numLayers: 2, outputSize: 3 }, 'crossEntropy'],
  ['tanh rnn 1x8', { kind: 'recurrent', cell: 'rnn', inputSize: 2, hiddenSize: 8, numLayers: 1, outputSize: 1 }, 'mse'],
];

describe.each<{ device: TfjsDevice; picked: typeof cases }>([
  { device: 'wasm', picked: cases },
  { device: 'cpu', picked: [cases[0]!, cases[4]!, cases[5]!] },
])('tfjs on $device agrees with the float64 reference', ({ device, picked }) => {
  it.each(picked)('%s', async (_, raw, loss) => {
    const spec = parseSpec(raw);
    const params = initParams(spec, { seed: 7 });
    const batch = randomBatch(spec, loss, 6, 9, 3);
    const reference = createReferenceBackend();
    const tfjs = await createTfjsBackend({ backend: device });
    const want = await (await reference.createModel(spec, params)).computeGradients(batch, loss);
    const model = await tfjs.createModel(spec, params);
    const got = await model.computeGradients(batch, loss);
    expectTensorClose((await model.forward(batch.input)).data, want.output.data, 1e-5, 'forward');
    expect(Math.abs(got.loss - want.loss) / want.loss).toBeLessThanOrEqual(1e-5);
    for (const [name, g] of Object.entries(want.grads)) expectTensorClose(got.grads[name]!.data, g.data, 1e-4, `grad ${name}`);
    if (spec.kind === 'residual') {
      expectSeriesClose(got.blockOutputGradNorms, want.blockOutputGradNorms!, 1e-3, 'blockOutputGradNorms');
      expect(got.deadUnitFractions).toEqual(want.deadUnitFractions);
    } else {
      want.hiddenGradNorms!.forEach((row, k) => expectSeriesClose(got.hiddenGradNorms?.[k], row, 1e-3, `hiddenGradNorms[${k}]`));
      want.cellGradNorms?.forEach((row, k) => expectSeriesClose(got.cellGradNorms?.[k], row, 1e-3, `cellGradNorms[${k}]`));
      expect(got.cellGradNorms === undefined).toBe(want.cellGradNorms === undefined);
      expectSeriesClose(got.inputGradNorms, want.inputGradNorms!, 1e-3, 'inputGradNorms');
    }
    await reference.dispose();
    await tfjs.dispose();
  });
});

describe('training agrees with the reference', () => {
  it('20 Adam steps with clip_grad_norm of an LSTM on the adding problem follow the reference loss within 1e-4 per step', async () => {
    const spec = parseSpec({ kind: 'recurrent', cell: 'lstm', inputSize: 2, hiddenSize: 16, outputSize: 1 });
    const params = initParams(spec, { seed: 1 });
    const config = parseTrainingConfig({ optimizer: { type: 'adam', lr: 1e-2 }, clip: { type: 'norm', maxNorm: 1 } });
    const task = createAddingTask({ T: 20, seed: 5 });
    const reference = createReferenceBackend();
    const tfjs = await createTfjsBackend();
    const [want, got] = [await reference.createModel(spec, params), await tfjs.createModel(spec, params)];
    want.configureTraining(config);
    got.configureTraining(config);
    for (let step = 0; step < 20; step++) {
      const batch = task.trainBatch(16, step);
      const [a, b] = [await want.trainStep(batch), await got.trainStep(batch, { report: step % 5 === 0 })];
      expect(Math.abs(b.loss - a.loss) / a.loss, `step ${step + 1}: ${b.loss} vs ${a.loss}`).toBeLessThanOrEqual(1e-4);
      expect(b.clipCoef).toBeCloseTo(a.clipCoef, 4);
    }
    await reference.dispose();
    await tfjs.dispose();
  });
});
