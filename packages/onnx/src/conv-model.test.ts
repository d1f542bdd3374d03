import { convLayout, initParams, NotSupportedError, paramShapes, parseTrainingConfig, ShapeError, type ConvResidualSpec, type LossName, type ParamSet } from '@gradscope/core';
import { createReferenceBackend } from '@gradscope/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { createOnnxBackend } from './backend.js';
import { liveSessionCount } from './session.js';
import { batchOf, convSpec, paramsOf, relErr } from './test-helpers.js';

const onnx = createOnnxBackend();
const reference = createReferenceBackend();
afterAll(async () => {
  await onnx.dispose();
  await reference.dispose();
});

const twoStages = [{ blocks: 1, channels: 4 }, { blocks: 1, channels: 8, stride: 2 }];
const cases: { name: string; spec: ConvResidualSpec; loss: LossName }[] = [
  { name: 'cifar stem, zero-pad shortcut', spec: convSpec({ stem: 'cifar', shortcut: 'zeropad', stages: twoStages }), loss: 'crossEntropy' },
  { name: 'imagenet stem with max-pool, projection shortcut', spec: convSpec({ stem: 'imagenet', inputSize: 12, shortcut: 'projection', stages: twoStages }), loss: 'mse' },
  { name: 'plain net (skip none)', spec: convSpec({ stem: 'cifar', skip: 'none', stages: twoStages }), loss: 'mse' },
];

/**
 * Dead-unit fractions per block equal to the reference's, up to one unit: a ReLU input within float32 noise of zero
 * may fall on either side of it.
 */
function expectDeadFractionsClose(spec: ConvResidualSpec, got: readonly number[] | undefined, want: readonly number[]): void {
  const units = convLayout(spec).blocks.map((b) => 2 * b.outChannels * b.outSize[0] * b.outSize[1]);
  expect(got).toHaveLength(want.length);
  want.forEach((w, i) => expect(Math.abs(got![i]! - w) * units[i]!, `deadUnitFractions[${i}]`).toBeLessThanOrEqual(1));
}

describe('conv residual nets on onnx against the float64 reference', () => {
  for (const c of cases) {
    it(`${c.name}: 3 training steps in BN train mode (weights, running statistics, block norms), then eval-mode forward`, async () => {
      const params = paramsOf(c.spec, 7);
      const model = await onnx.createModel(c.spec, params);
      const ref = await reference.createModel(c.spec, params);
      const config = parseTrainingConfig({ loss: c.loss, optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9 } });
      model.configureTraining(config);
      ref.configureTraining(config);
      for (let step = 0; step < 3; step++) {
        const batch = batchOf(c.spec, 3, c.loss, 100 + step);
        const got = await model.trainStep(batch, { report: true });
        const want = await ref.trainStep(batch, { report: true });
        expect(relErr([got.loss], [want.loss]), `loss at step ${step + 1}`).toBeLessThan(1e-5);
        const gotNorms = got.report!.blockOutputGradNorms!;
        const wantNorms = want.report!.blockOutputGradNorms!;
        expect(gotNorms).toHaveLength(wantNorms.length);
        wantNorms.forEach((w, i) => expect(Math.abs(gotNorms[i]! - w), `block ${i} norm at step ${step + 1}`).toBeLessThanOrEqual(1e-3 * w));
        expectDeadFractionsClose(c.spec, got.report!.deadUnitFractions, want.report!.deadUnitFractions!);
      }
      const [got, want] = [await model.getParams(), await ref.getParams()];
      for (const p of paramShapes(c.spec)) expect(relErr(got[p.name]!.data, want[p.name]!.data), `${p.name} after 3 steps`).toBeLessThan(1e-4);
      model.setBatchNormMode!('eval');
      ref.setBatchNormMode('eval');
      const probe = batchOf(c.spec, 2, c.loss, 200).input;
      expect(relErr((await model.forward(probe)).data, (await ref.forward(probe)).data), 'eval-mode forward').toBeLessThan(1e-5);
      await model.dispose();
      await ref.dispose();
    });
  }

  it('reports the dead units of both ReLUs of each block exactly as the reference (computeGradients and trainStep)', async () => {
    const spec = convSpec({ stem: 'cifar', skip: 'none', stages: [{ blocks: 2, channels: 4 }, { blocks: 1, channels: 8, stride: 2 }] });
    const params = paramsOf(spec, 3);
    // BatchNorm biases far beyond |x̂| <= sqrt(m - 1): -50 kills a channel for every example, +50 keeps it alive.
    params['layer1.0.bn1.bias']!.data.set([-50, -50, 50, 50]);
    params['layer1.1.bn2.bias']!.data.set([-50, 50, 50, 50]);
    params['layer2.0.bn1.bias']!.data.fill(-50);
    const batch = batchOf(spec, 4, 'crossEntropy', 9);
    const ref = await reference.createModel(spec, params);
    const want = (await ref.computeGradients(batch, 'crossEntropy')).deadUnitFractions!;
    expect(want[0]).toBeGreaterThanOrEqual(0.25);
    expect(want[2]).toBeGreaterThanOrEqual(0.5);
    const model = await onnx.createModel(spec, params);
    expect((await model.computeGradients(batch, 'crossEntropy')).deadUnitFractions).toEqual(want);
    model.configureTraining(parseTrainingConfig({ loss: 'crossEntropy', optimizer: { type: 'sgd', lr: 0.01 } }));
    expect((await model.trainStep(batch, { report: true })).report!.deadUnitFractions).toEqual(want);
    await model.dispose();
    await ref.dispose();
  });

  it('moves the running statistics only in a BN train-mode training step, never in forward or computeGradients', async () => {
    const spec = cases[0]!.spec;
    const params = paramsOf(spec, 3);
    const model = await onnx.createModel(spec, params);
    const batch = batchOf(spec, 2, 'mse', 5);
    const stats = (p: ParamSet): number[] => Array.from(p['bn1.running_mean']!.data);
    await model.forward(batch.input);
    await model.computeGradients(batch, 'mse');
    expect(stats(await model.getParams())).toEqual(stats(params));
    model.configureTraining(parseTrainingConfig({ loss: 'mse', optimizer: { type: 'sgd', lr: 0.01 } }));
    model.setBatchNormMode!('eval');
    await model.trainStep(batch);
    expect(stats(await model.getParams())).toEqual(stats(params));
    model.setBatchNormMode!('train');
    await model.trainStep(batch);
    expect(stats(await model.getParams())).not.toEqual(stats(params));
    const grads = (await model.computeGradients(batch, 'mse')).grads;
    expect(Object.keys(grads).some((n) => n.includes('running'))).toBe(false);
    await model.dispose();
  });

  it('names the expected NCHW shape, the BatchNorm that sees one value per channel, and an unknown mode', async () => {
    const spec = convSpec({ stem: 'cifar', inputSize: 1, stages: [{ blocks: 1, channels: 2 }] });
    const model = await onnx.createModel(spec, initParams(spec, { seed: 1 }));
    await expect(model.forward({ shape: [1, 2, 2, 2], data: new Float32Array(8) })).rejects.toThrow(new ShapeError('input: expected shape [batch, 2, 1, 1] (NCHW), got [1, 2, 2, 2]'));
    await expect(model.forward({ shape: [1, 2, 1, 1], data: new Float32Array(2) })).rejects.toThrow(/bn1: BatchNorm in training mode needs more than 1 value per channel/);
    await expect(model.computeGradients({ input: { shape: [2, 2, 1, 1], data: new Float32Array(4) }, target: { shape: [2], data: new Float32Array(2) } }, 'mse')).rejects.toThrow(
      'target: mse expects shape [2, 3], got [2]',
    );
    expect(() => model.setBatchNormMode!('test' as 'eval')).toThrow(NotSupportedError);
    model.setBatchNormMode!('eval');
    expect((await model.forward({ shape: [1, 2, 1, 1], data: new Float32Array(2) })).shape).toEqual([1, 3]);
    await model.dispose();
  });

  it('resumes from getParams + getTrainingState exactly (Adam moments, running statistics)', async () => {
    const spec = cases[1]!.spec;
    const config = parseTrainingConfig({ loss: 'mse', optimizer: { type: 'adam', lr: 0.01 } });
    const batches = [0, 1, 2].map((i) => batchOf(spec, 2, 'mse', 40 + i));
    const straight = await onnx.createModel(spec, paramsOf(spec, 9));
    straight.configureTraining(config);
    for (const b of batches.slice(0, 2)) await straight.trainStep(b);
    const resumed = await onnx.createModel(spec, await straight.getParams());
    resumed.configureTraining(config);
    await resumed.setTrainingState(await straight.getTrainingState());
    const [a, b] = [await straight.trainStep(batches[2]!), await resumed.trainStep(batches[2]!)];
    expect(b.step).toBe(3);
    expect(b.loss).toBe(a.loss);
    const [pa, pb] = [await straight.getParams(), await resumed.getParams()];
    for (const p of paramShapes(spec)) expect(Array.from(pb[p.name]!.data), p.name).toEqual(Array.from(pa[p.name]!.data));
    await straight.dispose();
    await resumed.dispose();
  });

  it('releases its sessions on dispose', async () => {
    const before = liveSessionCount();
    const spec = cases[0]!.spec;
    const model = await onnx.createModel(spec, initParams(spec, { seed: 2 }));
    await model.forward(batchOf(spec, 2, 'mse', 1).input);
    expect(liveSessionCount()).toBe(before + 1);
    await model.dispose();
    expect(liveSessionCount()).toBe(before);
  });
});
