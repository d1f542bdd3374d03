import * as tf from '@tensorflow/tfjs';
import {
  convLayout,
  parseCheckpoint,
  parseTrainingConfig,
  serializeCheckpoint,
  ShapeError,
  train,
  type BatchNormMode,
  type ConvResidualSpec,
  type LossName,
  type Task,
} from '@gradscope/core';
import { createReferenceBackend } from '@gradscope/testkit';
import { describe, expect, it } from 'vitest';
import { createTfjsBackend, type TfjsDevice } from './index.js';
import { cifarZeropad, convBatch, convParams, convSpec, imagenetProjection } from './__fixtures__/conv-cases.js';
import { expectSeriesClose, expectTensorClose } from './__fixtures__/close.js';

// Conv specs against @gradscope/testkit's float64 reference: forward 1e-5, gradients 1e-4, block norms 1e-3.

const cases: [string, Record<string, unknown>, LossName, BatchNormMode][] = [
  ['cifar stem, zero-pad shortcut (odd size), BN train', cifarZeropad, 'crossEntropy', 'train'],
  ['cifar stem, zero-pad shortcut, BN eval', cifarZeropad, 'mse', 'eval'],
  ['imagenet stem (max-pool), projection shortcut, BN train', imagenetProjection, 'mse', 'train'],
  ['imagenet stem, projection shortcut, BN eval', imagenetProjection, 'crossEntropy', 'eval'],
  ['plain network (skip none), no BatchNorm', { ...cifarZeropad, skip: 'none', norm: 'none' }, 'mse', 'train'],
  ['stride 3 stage, zero-pad shortcut, no BatchNorm', { inputSize: 8, stem: 'cifar', shortcut: 'zeropad', norm: 'none', stages: [{ blocks: 1, channels: 2 }, { blocks: 1, channels: 4, stride: 3 }] }, 'crossEntropy', 'train'],
];

describe.each<{ device: TfjsDevice; picked: typeof cases }>([
  { device: 'wasm', picked: cases },
  { device: 'cpu', picked: [cases[0]!, cases[2]!] },
])('conv specs on tfjs $device agree with the float64 reference', ({ device, picked }) => {
  it.each(picked)('%s', async (_, raw, loss, mode) => {
    const spec = convSpec(raw);
    const params = convParams(spec, 3);
    const batch = convBatch(spec, loss, 4, 9);
    const reference = createReferenceBackend();
    const tfjs = await createTfjsBackend({ backend: device });
    const oracle = await reference.createModel(spec, params);
    oracle.setBatchNormMode(mode);
    const want = await oracle.computeGradients(batch, loss);
    const model = await tfjs.createModel(spec, params);
    model.setBatchNormMode(mode);
    const got = await model.computeGradients(batch, loss);
    expectTensorClose((await model.forward(batch.input)).data, want.output.data, 1e-5, 'forward');
    expectTensorClose(got.output.data, want.output.data, 1e-5, 'output of computeGradients');
    expect(Math.abs(got.loss - want.loss) / want.loss).toBeLessThanOrEqual(1e-5);
    expect(Object.keys(got.grads)).toEqual(Object.keys(want.grads)); // trainable tensors only, state_dict order
    for (const [name, g] of Object.entries(want.grads)) {
      expect(got.grads[name]!.shape, name).toEqual(g.shape);
      expectTensorClose(got.grads[name]!.data, g.data, 1e-4, `grad ${name}`);
    }
    expectSeriesClose(got.blockOutputGradNorms, want.blockOutputGradNorms!, 1e-3, 'blockOutputGradNorms');
    expectDeadFractionsClose(spec, got.deadUnitFractions, want.deadUnitFractions!);
    await reference.dispose();
    await tfjs.dispose();
  });
});

/**
 * Dead-unit fractions per block equal to the reference's, up to one unit: a ReLU input within float32 noise of zero
 * may fall on either side of it.
 */
function expectDeadFractionsClose(spec: ConvResidualSpec, got: readonly number[] | undefined, want: readonly number[]): void {
  const units = convLayout(spec).blocks.map((b) => 2 * b.outChannels * b.outSize[0] * b.outSize[1]);
  expect(got).toHaveLength(want.length);
  want.forEach((w, i) => expect(Math.abs(got![i]! - w) * units[i]!, `deadUnitFractions[${i}]`).toBeLessThanOrEqual(1));
}

describe('conv dead-unit fractions', () => {
  it('count the units of both ReLUs of each block that no example activates, exactly as the reference (computeGradients and trainStep)', async () => {
    const spec = convSpec({ ...cifarZeropad, skip: 'none' });
    const params = convParams(spec, 3);
    // BatchNorm biases far beyond |x̂| <= sqrt(m - 1): -50 kills a channel for every example, +50 keeps it alive.
    params['layer1.0.bn1.bias']!.data.set([-50, -50, 50, 50]);
    params['layer1.1.bn2.bias']!.data.set([-50, 50, 50, 50]);
    params['layer2.0.bn1.bias']!.data.fill(-50);
    const batch = convBatch(spec, 'crossEntropy', 4, 9);
    const reference = createReferenceBackend();
    const tfjs = await createTfjsBackend();
    const want = (await (await reference.createModel(spec, params)).computeGradients(batch, 'crossEntropy')).deadUnitFractions!;
    expect(want[0]).toBeGreaterThanOrEqual(0.25);
    expect(want[1]).toBeGreaterThanOrEqual(0.125);
    expect(want[2]).toBeGreaterThanOrEqual(0.5);
    const model = await tfjs.createModel(spec, params);
    expect((await model.computeGradients(batch, 'crossEntropy')).deadUnitFractions).toEqual(want);
    model.configureTraining(parseTrainingConfig({ loss: 'crossEntropy', optimizer: { type: 'sgd', lr: 0.01 } }));
    const before = tf.memory().numTensors;
    expect((await model.trainStep(batch, { report: true })).report!.deadUnitFractions).toEqual(want);
    expect(tf.memory().numTensors).toBe(before);
    await reference.dispose();
    await tfjs.dispose();
  });
});

describe('conv checkpoints', () => {
  it('resuming from a checkpoint file (running statistics, num_batches_tracked, momentum) equals uninterrupted training bit for bit', async () => {
    const spec = convSpec(cifarZeropad);
    const params = convParams(spec, 6);
    const task: Task = {
      name: 'images', inputSize: 2 * 7 * 7, outputSize: 3, loss: 'crossEntropy', inputShape: [2, 7, 7],
      trainBatch: (n, index) => convBatch(spec, 'crossEntropy', n, 50 + index),
      testSet: (n) => convBatch(spec, 'crossEntropy', n, 99),
    };
    const config = { optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9 } } as const;
    const tfjs = await createTfjsBackend();
    const straight = await tfjs.createModel(spec, params);
    await train({ model: straight, task, steps: 4, batchSize: 4, config });

    const first = await tfjs.createModel(spec, params);
    let bytes: Uint8Array | undefined;
    await train({ model: first, task, steps: 2, batchSize: 4, config, checkpointEvery: 2, onCheckpoint: (c) => void (bytes = serializeCheckpoint(c)) });
    const checkpoint = parseCheckpoint(bytes!, 'conv.safetensors');
    expect(checkpoint.state.batchesTracked).toBe(2);
    const resumed = await tfjs.createModel(checkpoint.spec, checkpoint.params);
    await train({ model: resumed, task, steps: 2, batchSize: 4, config: checkpoint.config, initialState: checkpoint.state });
    expect(await resumed.getParams()).toEqual(await straight.getParams());
    expect((await resumed.getTrainingState()).batchesTracked).toBe(4);
    await tfjs.dispose();
  });
});

describe('conv training agrees with the reference', () => {
  it('4 SGD-momentum steps in BN train mode update weights and running statistics as PyTorch; eval-mode steps leave the statistics', async () => {
    const spec = convSpec(imagenetProjection);
    const params = convParams(spec, 5);
    const config = parseTrainingConfig({ loss: 'crossEntropy', optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9 } });
    const reference = createReferenceBackend();
    const tfjs = await createTfjsBackend();
    const want = await reference.createModel(spec, params);
    const got = await tfjs.createModel(spec, params);
    want.configureTraining(config);
    got.configureTraining(config);
    for (let step = 0; step < 4; step++) {
      const batch = convBatch(spec, 'crossEntropy', 5, 20 + step);
      const [a, b] = [await want.trainStep(batch), await got.trainStep(batch, { report: step === 3 })];
      expect(Math.abs(b.loss - a.loss) / a.loss, `step ${step + 1}: ${b.loss} vs ${a.loss}`).toBeLessThanOrEqual(1e-4);
      if (step === 3) expect(b.report?.blockOutputGradNorms).toHaveLength(3);
    }
    expect(got.batchesTracked).toBe(4);
    const [pa, pb] = [await want.getParams(), await got.getParams()];
    for (const [name, t] of Object.entries(pa)) expectTensorClose(pb[name]!.data, t.data, 1e-4, `${name} after 4 steps`);
    expect(pb['bn1.running_var']!.data).not.toEqual(params['bn1.running_var']!.data);

    got.setBatchNormMode('eval');
    await got.trainStep(convBatch(spec, 'crossEntropy', 5, 40));
    const after = await got.getParams();
    expect(after['layer2.0.downsample.1.running_mean']!.data).toEqual(pb['layer2.0.downsample.1.running_mean']!.data);
    expect(after['fc.weight']!.data).not.toEqual(pb['fc.weight']!.data);
    expect(got.batchesTracked).toBe(4);
    await reference.dispose();
    await tfjs.dispose();
  });

  it('forward and computeGradients in train mode leave the running statistics alone (only trainStep updates them)', async () => {
    const spec = convSpec(cifarZeropad);
    const params = convParams(spec, 6);
    const tfjs = await createTfjsBackend();
    const model = await tfjs.createModel(spec, params);
    const batch = convBatch(spec, 'mse', 3, 1);
    await model.forward(batch.input);
    await model.computeGradients(batch, 'mse');
    expect((await model.getParams())['layer1.0.bn1.running_mean']!.data).toEqual(params['layer1.0.bn1.running_mean']!.data);
    await tfjs.dispose();
  });
});

describe('conv errors', () => {
  it('names the expected NCHW shape, a bad target and BatchNorm with one value per channel', async () => {
    const spec = convSpec({ inputSize: 4, stem: 'imagenet', stages: [{ blocks: 1, channels: 2 }] }); // 4 -> 2 -> 1
    const tfjs = await createTfjsBackend();
    const model = await tfjs.createModel(spec, convParams(spec, 1));
    await expect(model.forward({ shape: [1, 4, 4, 2], data: new Float32Array(32) })).rejects.toThrow('input: expected shape [batch, 2, 4, 4] (NCHW), got [1, 4, 4, 2]');
    const batch = convBatch(spec, 'mse', 1, 2);
    await expect(model.computeGradients({ input: batch.input, target: { shape: [3], data: new Float32Array(3) } }, 'mse')).rejects.toThrow('target: mse expects shape [1, 3], got [3]');
    const tensors = tf.memory().numTensors;
    const err = await model.computeGradients(batch, 'mse').catch((e: unknown) => e);
    expect(tf.memory().numTensors, 'tensors after a pass that threw').toBe(tensors);
    expect(err).toBeInstanceOf(ShapeError);
    expect(String(err)).toContain('layer1.0.bn1: BatchNorm in training mode needs more than 1 value per channel, got input [1, 2, 1, 1]');
    model.setBatchNormMode('eval');
    expect((await model.forward(batch.input)).shape).toEqual([1, 3]); // eval mode needs no batch statistics
    expect(() => model.setBatchNormMode('test' as BatchNormMode)).toThrow('BatchNorm mode "test"');
    await tfjs.dispose();
  });
});
