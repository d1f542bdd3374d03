import { createRng, initParams, parseModelSpec, type Batch, type ConvResidualSpec, type LossName, type ParamSet } from '@gradscope/core';

// Small conv specs, parameters and batches shared by the conv tests.

export function convSpec(raw: Record<string, unknown>): ConvResidualSpec {
  const spec = parseModelSpec({ kind: 'residual', variant: 'conv', inputChannels: 2, outputSize: 3, ...raw });
  if (spec.kind !== 'residual' || spec.variant !== 'conv') throw new Error('not a conv spec');
  return spec;
}

/** torchvision's init, with BatchNorm affine parameters and running statistics moved off 1/0 so every term matters. */
export function convParams(spec: ConvResidualSpec, seed: number): ParamSet {
  const params = initParams(spec, { seed });
  const rng = createRng(seed + 100);
  for (const [name, t] of Object.entries(params)) {
    if (/bn\d\.|downsample\.1\./.test(name)) {
      const positive = name.endsWith('.weight') || name.endsWith('.running_var');
      t.data.forEach((_, i) => (t.data[i] = positive ? 0.5 + rng.uniform() : 0.3 * rng.normal()));
    }
  }
  return params;
}

export function convBatch(spec: ConvResidualSpec, loss: LossName, size: number, seed: number): Batch {
  const rng = createRng(seed);
  const shape = [size, spec.inputChannels, ...spec.inputSize];
  const input = { shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()) };
  const target =
    loss === 'mse'
      ? { shape: [size, spec.outputSize], data: Float32Array.from({ length: size * spec.outputSize }, () => rng.normal()) }
      : { shape: [size], data: Float32Array.from({ length: size }, () => rng.int(spec.outputSize)) };
  return { input, target };
}

export const cifarZeropad = { inputSize: 7, stem: 'cifar', shortcut: 'zeropad', stages: [{ blocks: 2, channels: 4 }, { blocks: 1, channels: 6, stride: 2 }] };
export const imagenetProjection = { inputSize: [13, 11], stem: 'imagenet', shortcut: 'projection', stages: [{ blocks: 1, channels: 3 }, { blocks: 2, channels: 5, stride: 2 }] };

