import { createReferenceBackend, strokeBatch } from '@gradscope/testkit';
import { initParams } from '@gradscope/core';
import { describe, it } from 'vitest';
import { createTfjsBackend } from './index.js';
import { convSpec } from './__fixtures__/conv-cases.js';
import { expectTensorClose } from './__fixtures__/close.js';

// Deep conv nets with BatchNorm in training mode on digit-like images (14×14, batch 16), against the float64
// reference: gradients within 1e-4. One long float32 sum per channel (the obvious tf.sum over N, H, W) missed this by
// 0.1–0.2 on wasm at 20 and 32 layers; PyTorch's float32 CPU run of the same nets is within 4e-5.
const cifar = (blocks: number, skip: 'none' | 'identity', inputSize = 14) =>
  convSpec({ inputChannels: 1, inputSize, outputSize: 10, stem: 'cifar', shortcut: 'zeropad', skip, stages: [16, 32, 64].map((channels, i) => ({ blocks, channels, stride: i === 0 ? 1 : 2 })) });

describe('deep conv nets on tfjs wasm agree with the float64 reference', () => {
  it.each([
    { net: 'plain-20', spec: cifar(3, 'none'), seed: 1 },
    { net: 'plain-20', spec: cifar(3, 'none'), seed: 2 },
    { net: 'ResNet-32', spec: cifar(5, 'identity'), seed: 1 },
    // 28×28 at batch 32: the stem's dL/dkernel sums 25,088 products per weight (1.6e-4 off in one convolution)
    { net: 'plain-8 28×28 batch 32', spec: cifar(1, 'none', 28), seed: 1, batch: 32 },
  ])('$net (seed $seed): output 1e-5, every gradient 1e-4', async ({ spec, seed, batch: size = 16 }) => {
    const params = initParams(spec, { seed });
    const batch = strokeBatch(spec, size, seed);
    const reference = createReferenceBackend();
    const tfjs = await createTfjsBackend({ backend: 'wasm' });
    const want = await (await reference.createModel(spec, params)).computeGradients(batch, 'crossEntropy');
    const got = await (await tfjs.createModel(spec, params)).computeGradients(batch, 'crossEntropy');
    expectTensorClose(got.output.data, want.output.data, 1e-5, 'output');
    for (const [name, g] of Object.entries(want.grads)) expectTensorClose(got.grads[name]!.data, g.data, 1e-4, `grad ${name}`);
    await reference.dispose();
    await tfjs.dispose();
  }, 60_000);
});
