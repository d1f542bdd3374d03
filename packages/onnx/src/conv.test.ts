import { batchNormNames } from '@gradscope/core';
import { createReferenceBackend } from '@gradscope/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { createOnnxBackend } from './backend.js';
import { compileConvModel, runningStatOutput } from './conv.js';
import { names } from './compile.js';
import { batchOf, convSpec, paramsOf } from './test-helpers.js';

const spec = convSpec({ stem: 'imagenet', inputSize: 12, shortcut: 'projection', stages: [{ blocks: 1, channels: 4 }, { blocks: 1, channels: 8, stride: 2 }] });

describe('compileConvModel', () => {
  it('fetches what each purpose and BatchNorm mode needs: updated running statistics only in BN train mode', () => {
    const stats = batchNormNames(spec).flatMap((bn) => [runningStatOutput(`${bn}.running_mean`), runningStatOutput(`${bn}.running_var`)]);
    expect(stats).toContain('running/layer2.0.downsample.1.running_var');
    const fetch = (purpose: 'forward' | 'train' | 'report', mode: 'train' | 'eval'): readonly string[] => compileConvModel(spec, { purpose, batch: 2, mode, loss: 'mse' }).fetch;
    expect(fetch('forward', 'train')).toEqual([names.output]);
    expect(fetch('train', 'train')).toEqual(expect.arrayContaining([names.loss, ...stats, names.grad('conv1.weight'), names.grad('bn1.weight')]));
    expect(fetch('train', 'train')).not.toContain(names.output);
    expect(fetch('train', 'eval').filter((f) => f.startsWith('running/'))).toEqual([]);
    expect(fetch('report', 'eval')).toEqual(expect.arrayContaining([names.output, names.blockNorms]));
    // Running statistics are not trained: no gradient outputs for them.
    expect(fetch('report', 'train').filter((f) => f.startsWith('grad/') && f.includes('running'))).toEqual([]);
  });
});

describe('block-output gradient norms of a conv net', () => {
  const onnx = createOnnxBackend();
  const reference = createReferenceBackend();
  afterAll(async () => {
    await onnx.dispose();
    await reference.dispose();
  });

  it('stay exact for vanishing gradients (~1e-30, whose squares underflow float32) against the float64 reference', async () => {
    const params = paramsOf(spec, 4);
    params['fc.weight'] = { ...params['fc.weight']!, data: params['fc.weight']!.data.map((v) => v * 1e-30) };
    const batch = batchOf(spec, 3, 'mse', 8);
    const model = await onnx.createModel(spec, params);
    const ref = await reference.createModel(spec, params);
    const got = (await model.computeGradients(batch, 'mse')).blockOutputGradNorms!;
    const want = (await ref.computeGradients(batch, 'mse')).blockOutputGradNorms!;
    expect(want.every((w) => w > 1e-33 && w < 1e-27)).toBe(true);
    want.forEach((w, i) => expect(Math.abs(got[i]! - w), `block ${i}: ${got[i]} vs ${w}`).toBeLessThanOrEqual(1e-3 * w));
    await model.dispose();
    await ref.dispose();
  });
});
