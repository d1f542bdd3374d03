// Shared by this package's tests only (excluded from the build).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRng, initParams, paramShapes, parseModelSpec, type Batch, type ConvResidualSpec, type LossName, type ModelSpecInput, type ParamSet } from '@gradscope/core';
import type { Feeds, OnnxSession } from './session.js';

export { relativeError as relErr } from '@gradscope/core';

/** Reproducible test data from core's seeded random streams. */
export function seededRandom(seed: number): () => number {
  const rng = createRng(seed);
  return () => rng.uniform(0, 1);
}

export function uniform(rand: () => number, n: number, lo: number, hi: number): Float32Array {
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * rand());
}

/** Debian's python3 with python3-onnx, used only by checks that are skipped with a visible reason without it. */
export const python = '/usr/bin/python3';
export const hasPythonOnnx =
  existsSync(python) &&
  (() => {
    try {
      execFileSync(python, ['-c', 'import onnx'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

/** Central finite differences of the graph output `loss` with respect to every element of the feed `input`. */
export async function finiteDifferences(session: OnnxSession, feeds: Feeds, input: string, eps: number): Promise<Float32Array> {
  const x = feeds[input]!.data;
  const numeric = new Float32Array(x.length);
  for (let j = 0; j < x.length; j++) {
    const keep = x[j]!;
    x[j] = keep + eps;
    const up = (await session.run(feeds, ['loss'])).loss!.data[0]!;
    x[j] = keep - eps;
    const down = (await session.run(feeds, ['loss'])).loss!.data[0]!;
    x[j] = keep;
    numeric[j] = (up - down) / (2 * eps);
  }
  return numeric;
}

/** A conv spec on 2×8×8 input with 3 outputs, overridden by `input`. */
export function convSpec(input: Record<string, unknown>): ConvResidualSpec {
  const spec = parseModelSpec({ kind: 'residual', variant: 'conv', inputChannels: 2, inputSize: 8, outputSize: 3, ...input } as ModelSpecInput);
  if (spec.kind !== 'residual' || spec.variant !== 'conv') throw new Error('not a conv spec');
  return spec;
}

/** A seeded NCHW batch with an mse target or class labels. */
export function batchOf(spec: ConvResidualSpec, n: number, loss: LossName, seed: number): Batch {
  const rand = seededRandom(seed);
  const input = { shape: [n, spec.inputChannels, ...spec.inputSize], data: uniform(rand, n * spec.inputChannels * spec.inputSize[0] * spec.inputSize[1], -1, 1) };
  const target =
    loss === 'mse'
      ? { shape: [n, spec.outputSize], data: uniform(rand, n * spec.outputSize, -1, 1) }
      : { shape: [n], data: Float32Array.from({ length: n }, (_, i) => i % spec.outputSize) };
  return { input, target };
}

/** Parameters with non-trivial running statistics, so eval mode differs visibly from train mode. */
export function paramsOf(spec: ConvResidualSpec, seed: number): ParamSet {
  const params = initParams(spec, { seed });
  const rand = seededRandom(seed + 1);
  for (const p of paramShapes(spec)) {
    if (p.name.endsWith('running_mean')) params[p.name] = { shape: p.shape, data: uniform(rand, p.shape[0]!, -0.5, 0.5) };
    if (p.name.endsWith('running_var')) params[p.name] = { shape: p.shape, data: uniform(rand, p.shape[0]!, 0.5, 2) };
  }
  return params;
}
