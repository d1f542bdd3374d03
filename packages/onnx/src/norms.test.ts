import { initParams, parseSpec } from '@gradscope/core';
import { createReferenceBackend } from '@gradscope/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { createOnnxBackend } from './backend.js';
import { seededRandom, uniform } from './test-helpers.js';

const onnx = createOnnxBackend();
const reference = createReferenceBackend();
afterAll(async () => {
  await onnx.dispose();
  await reference.dispose();
});

describe('report norms of vanished gradients', () => {
  it('a 32-block plain sigmoid net reports ~1e-28 at block 0 (squares underflow float32), within 1e-3 of each value', async () => {
    const spec = parseSpec({ kind: 'residual', inputSize: 4, outputSize: 2, width: 16, depth: 32, block: { activation: 'sigmoid', skip: 'none' } });
    const params = initParams(spec, { seed: 0 });
    const rand = seededRandom(1);
    const batch = { input: { shape: [8, 4], data: uniform(rand, 32, -1, 1) }, target: { shape: [8, 2], data: uniform(rand, 16, -1, 1) } };
    const [got, want] = await Promise.all([onnx, reference].map(async (b) => (await (await b.createModel(spec, params)).computeGradients(batch, 'mse')).blockOutputGradNorms!));
    expect(want![0]).toBeLessThan(1e-20);
    want!.forEach((w, i) => expect(Math.abs(got![i]! - w) / w, `block ${i}`).toBeLessThan(1e-3));
  });
});
