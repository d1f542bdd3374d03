import { initParams, parseModelSpec, parseTrainingConfig, ShapeError, tensor, type ConvResidualSpec } from '@gradscope/core';
import { describe, expect, it } from 'vitest';
import { labels, uniformTensor } from './__fixtures__/testing.js';
import { createReferenceBackend } from './backend.js';

const spec = parseModelSpec({
  kind: 'residual', variant: 'conv', inputChannels: 1, inputSize: 6, outputSize: 3, stem: 'cifar', shortcut: 'projection',
  stages: [{ blocks: 1, channels: 2 }, { blocks: 1, channels: 3, stride: 2 }],
}) as ConvResidualSpec;
const input = uniformTensor([4, 1, 6, 6], 3);
const batch = { input, target: labels(4, 3, 4) };

async function model() {
  return createReferenceBackend().createConvModel(spec, initParams(spec, { seed: 2 }));
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
    const t = await createReferenceBackend().createConvModel(tiny, initParams(tiny, { seed: 1 }));
    await expect(t.forward(tensor([1, 1, 1, 1], [0.5]))).rejects.toThrow(ShapeError);
    await expect(t.forward(tensor([1, 1, 1, 1], [0.5]))).rejects.toThrow('bn1: BatchNorm in training mode needs more than 1 value per channel');
    t.setBatchNormMode('eval');
    expect((await t.forward(tensor([1, 1, 1, 1], [0.5]))).shape).toEqual([1, 2]);
  });
});
