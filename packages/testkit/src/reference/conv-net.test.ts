import { computeLoss, createRng, initParams, parseModelSpec, relativeError, type BatchNormMode, type ConvResidualSpec, type LossName } from '@gradscope/core';
import { describe, expect, it } from 'vitest';
import { finiteDifferences, l2, labels, uniformTensor } from './__fixtures__/testing.js';
import { convBackward, convForward, type ConvProbes } from './conv-net.js';
import type { Params64 } from './params64.js';

interface Case {
  stem: 'cifar' | 'imagenet';
  shortcut: 'projection' | 'zeropad';
  skip: 'identity' | 'none';
  norm: 'batch' | 'none';
  mode: BatchNormMode;
  loss: LossName;
}

function specOf(c: Case): ConvResidualSpec {
  return parseModelSpec({
    kind: 'residual', variant: 'conv', inputChannels: 2, inputSize: c.stem === 'cifar' ? [5, 4] : [9, 8], outputSize: 3, stem: c.stem,
    shortcut: c.shortcut, skip: c.skip, norm: c.norm, stages: [{ blocks: 1, channels: 2 }, { blocks: 1, channels: 3, stride: 2 }],
  }) as ConvResidualSpec;
}

/** torchvision init, then BatchNorm affine parameters and running statistics moved away from 1/0 so every term matters. */
function paramsOf(spec: ConvResidualSpec, seed: number): Params64 {
  const rng = createRng(seed);
  const out: Params64 = {};
  for (const [name, t] of Object.entries(initParams(spec, { seed }))) {
    const p = Float64Array.from(t.data);
    if (/bn\d\.|downsample\.1\./.test(name) || name.startsWith('bn1.')) {
      for (let i = 0; i < p.length; i++) p[i] = name.endsWith('running_var') || name.endsWith('weight') ? rng.uniform(0.5, 1.5) : rng.uniform(-0.5, 0.5);
    }
    out[name] = p;
  }
  return out;
}

const batchSize = 3;

function lossOf(spec: ConvResidualSpec, params: Params64, c: Case, input: Float64Array, target: Float64Array, probes?: ConvProbes): number {
  return computeLoss(c.loss, convForward(spec, params, input, batchSize, c.mode, probes).output, target, batchSize).loss;
}

const cases: Case[] = [
  { stem: 'cifar', shortcut: 'projection', skip: 'identity', norm: 'batch', mode: 'train', loss: 'crossEntropy' },
  { stem: 'cifar', shortcut: 'projection', skip: 'identity', norm: 'batch', mode: 'eval', loss: 'mse' },
  { stem: 'cifar', shortcut: 'zeropad', skip: 'identity', norm: 'batch', mode: 'train', loss: 'mse' },
  { stem: 'cifar', shortcut: 'zeropad', skip: 'identity', norm: 'none', mode: 'train', loss: 'crossEntropy' },
  { stem: 'cifar', shortcut: 'projection', skip: 'none', norm: 'batch', mode: 'train', loss: 'crossEntropy' },
  { stem: 'imagenet', shortcut: 'projection', skip: 'identity', norm: 'batch', mode: 'train', loss: 'crossEntropy' },
  { stem: 'imagenet', shortcut: 'zeropad', skip: 'identity', norm: 'batch', mode: 'eval', loss: 'mse' },
];

describe('conv residual net: exact gradients against central finite differences (float64)', () => {
  it.each(cases)('$stem stem, $shortcut shortcut, skip $skip, norm $norm, BN $mode, $loss', (c) => {
    const spec = specOf(c);
    const params = paramsOf(spec, 5);
    const input = uniformTensor([batchSize, spec.inputChannels, ...spec.inputSize], 7).data;
    const target = (c.loss === 'mse' ? uniformTensor([batchSize, 3], 8) : labels(batchSize, 3, 8)).data;
    const tape = convForward(spec, params, input, batchSize, c.mode);
    const value = computeLoss(c.loss, tape.output, target, batchSize);
    const grads: Params64 = Object.fromEntries(Object.entries(params).map(([n, p]) => [n, new Float64Array(p.length)]));
    const norms = convBackward(spec, params, grads, tape, value.grad);
    for (const [name, p] of Object.entries(params)) {
      if (/running_(mean|var)$/.test(name)) {
        expect(l2(grads[name]!), name).toBe(0);
        continue;
      }
      const fd = finiteDifferences(() => lossOf(spec, params, c, input, target), p, 1e-5);
      expect(relativeError(grads[name]!, fd), name).toBeLessThan(1e-6);
    }
    // Block-output norms: the gradient with respect to an additive probe at each block output.
    const probes = tape.blocks.map((b) => new Float64Array(b.output.data.length));
    expect(norms).toHaveLength(2);
    probes.forEach((probe, i) => {
      const fd = finiteDifferences(() => lossOf(spec, params, c, input, target, { blockOutputs: probes }), probe, 1e-5);
      expect(Math.abs(norms[i]! - l2(fd)) / l2(fd), `block ${i}`).toBeLessThan(1e-6);
    });
  });
});
