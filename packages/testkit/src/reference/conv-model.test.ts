import {
  initParams,
  parseCheckpoint,
  parseModelSpec,
  parseTrainingConfig,
  serializeCheckpoint,
  ShapeError,
  tensor,
  train,
  type Batch,
  type Checkpoint,
  type ConvResidualSpec,
  type ParamSet,
  type Task,
} from '@gradscope/core';
import { describe, expect, it } from 'vitest';
import { labels, uniformTensor } from './__fixtures__/testing.js';
import type { Tensor64 } from './params64.js';
import { createReferenceBackend } from './backend.js';

const spec = parseModelSpec({
  kind: 'residual', variant: 'conv', inputChannels: 1, inputSize: 6, outputSize: 3, stem: 'cifar', shortcut: 'projection',
  stages: [{ blocks: 1, channels: 2 }, { blocks: 1, channels: 3, stride: 2 }],
}) as ConvResidualSpec;
const input = uniformTensor([4, 1, 6, 6], 3);
const batch = { input, target: labels(4, 3, 4) };

const float32Batch = (input: Tensor64, target: Tensor64): Batch => ({
  input: tensor(input.shape, Float32Array.from(input.data)),
  target: tensor(target.shape, Float32Array.from(target.data)),
});

async function model() {
  return createReferenceBackend().createModel(spec, initParams(spec, { seed: 2 }));
}

describe('reference conv model: BatchNorm modes and buffers', () => {
  it('normalizes with batch statistics in train mode and running statistics in eval mode, without changing the model', async () => {
    const m = await model();
    const train = await m.forward64(input);
    expect(await m.forward64(input)).toEqual(train);
    m.setBatchNormMode('eval');
    const evaluated = await m.forward64(input);
    expect(evaluated.data).not.toEqual(train.data);
    // Fresh running statistics are mean 0, var 1: eval-mode BN is x/√(1+eps)·γ+β, so scaling the input scales
    // every pre-activation and (relu being positively homogeneous, fc affine) the logits minus the bias linearly.
    const bias = (await m.getParams64())['fc.bias']!.data;
    const doubled = await m.forward64({ shape: input.shape, data: input.data.map((v) => 2 * v) });
    evaluated.data.forEach((v, i) => expect(doubled.data[i]! - bias[i % 3]!).toBeCloseTo(2 * (v - bias[i % 3]!), 12));
  });

  it('updates running statistics and num_batches_tracked only in training-mode steps, and never trains them', async () => {
    const m = await model();
    m.configureTraining(parseTrainingConfig({ loss: 'crossEntropy', optimizer: { type: 'sgd', lr: 0.1 } }));
    const before = await m.getParams64();
    const result = await m.trainStep(batch, { report: true });
    const after = await m.getParams64();
    expect(m.batchesTracked).toBe(1);
    expect(after['bn1.running_mean']!.data).not.toEqual(before['bn1.running_mean']!.data);
    expect(Object.keys(result.report!.params)).not.toContain('bn1.running_mean');
    expect(result.report!.blockOutputGradNorms).toHaveLength(2);
    m.setBatchNormMode('eval');
    await m.trainStep(batch);
    const frozen = await m.getParams64();
    expect(m.batchesTracked).toBe(1);
    expect(frozen['bn1.running_var']!.data).toEqual(after['bn1.running_var']!.data);
    expect(frozen['bn1.weight']!.data).not.toEqual(after['bn1.weight']!.data);
  });

  it('names the expected NCHW shape and refuses a one-value BatchNorm batch as PyTorch does', async () => {
    const m = await model();
    await expect(m.forward(tensor([4, 6, 6], new Float32Array(144)))).rejects.toThrow('input: expected shape [batch, 1, 6, 6] (NCHW), got [4, 6, 6]');
    const tiny = parseModelSpec({ kind: 'residual', variant: 'conv', inputChannels: 1, inputSize: 1, outputSize: 2, stem: 'cifar', stages: [{ blocks: 1, channels: 2 }] }) as ConvResidualSpec;
    const t = await createReferenceBackend().createModel(tiny, initParams(tiny, { seed: 1 }));
    await expect(t.forward(tensor([1, 1, 1, 1], [0.5]))).rejects.toThrow(ShapeError);
    await expect(t.forward(tensor([1, 1, 1, 1], [0.5]))).rejects.toThrow('bn1: BatchNorm in training mode needs more than 1 value per channel');
    t.setBatchNormMode('eval');
    expect((await t.forward(tensor([1, 1, 1, 1], [0.5]))).shape).toEqual([1, 2]);
  });
});

describe('reference conv model through the Model contract', () => {
  const images: Task = {
    name: 'images', inputSize: 36, outputSize: 3, loss: 'crossEntropy', inputShape: [1, 6, 6],
    trainBatch: (n, index) => float32Batch(uniformTensor([n, 1, 6, 6], 10 + index), labels(n, 3, 20 + index)),
    testSet: (n) => float32Batch(uniformTensor([n, 1, 6, 6], 99), labels(n, 3, 98)),
  };
  const config = parseTrainingConfig({ loss: 'crossEntropy', optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9 } });
  const maxDifference = (a: ParamSet, b: ParamSet): number =>
    Math.max(...Object.keys(a).map((n) => Math.max(...a[n]!.data.map((v, i) => Math.abs(v - b[n]!.data[i]!)))));

  it('is what createModel builds for a conv spec, and the reference declares variant "conv"', async () => {
    const backend = createReferenceBackend();
    expect(backend.supports.residual.variants).toContain('conv');
    const m = await backend.createModel(spec, initParams(spec, { seed: 2 }));
    expect(m.spec).toEqual(spec);
    expect(m.spec).not.toBe(spec); // a validated copy
    expect((await m.forward(float32Batch(input, batch.target).input)).shape).toEqual([4, 3]);
  });

  it('trains with core train(); a checkpoint restores weights, running statistics and num_batches_tracked', async () => {
    const backend = createReferenceBackend();
    const uninterrupted = await backend.createModel(spec, initParams(spec, { seed: 2 }));
    await train({ model: uninterrupted, task: images, steps: 4, batchSize: 4, config });

    const first = await backend.createModel(spec, initParams(spec, { seed: 2 }));
    let saved: Uint8Array | undefined;
    await train({ model: first, task: images, steps: 2, batchSize: 4, config, checkpointEvery: 2, onCheckpoint: (c) => void (saved = serializeCheckpoint(c)) });
    const checkpoint: Checkpoint = parseCheckpoint(saved!, 'conv.safetensors');
    expect(checkpoint.state.batchesTracked).toBe(2);
    expect(checkpoint.params['layer2.0.downsample.1.running_var']!.data).toEqual((await first.getParams())['layer2.0.downsample.1.running_var']!.data);

    const resumed = await backend.createModel(checkpoint.spec, checkpoint.params);
    await train({ model: resumed, task: images, steps: 2, batchSize: 4, config: checkpoint.config, initialState: checkpoint.state });
    expect(resumed.spec).toEqual(spec);
    expect((await resumed.getTrainingState()).batchesTracked).toBe(4);
    // The reference holds float64 weights and a checkpoint stores float32 (optimizer buffers stay F64), so resuming
    // continues from weights rounded to float32: equal up to that rounding, not bit for bit.
    const [got, want] = [await resumed.getParams(), await uninterrupted.getParams()];
    expect(Object.keys(got)).toEqual(Object.keys(want));
    expect(maxDifference(got, want)).toBeLessThan(1e-6);
    await backend.dispose();
  });
});
