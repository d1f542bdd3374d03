import { computeLoss, type ArchitectureNorms, type Batch, type LossName, type ParamSet, type Tensor } from '@gradscope/core';
import type { Matrix } from './engine.js';

/** What one backward pass yields: the batch-mean loss, its gradients and the architecture norms. */
export interface GradientPass {
  readonly output: Tensor;
  readonly loss: number;
  readonly grads: ParamSet;
  readonly norms: ArchitectureNorms;
}

/** A spec realized on brain.js: weights in, outputs and gradients out. Shapes are checked by the caller. */
export interface BrainNetwork {
  setParams(params: ParamSet): void;
  forward(input: Tensor): Tensor;
  gradients(batch: Batch, loss: LossName): GradientPass;
}

/** `[batch, features]` row-major values as a `[features, batch]` matrix (one column per example). */
export function writeColumns(target: Matrix, data: ArrayLike<number>, batch: number, features: number, stride = features, offset = 0): void {
  const w = target.weights;
  for (let b = 0; b < batch; b++) {
    const base = b * stride + offset;
    for (let f = 0; f < features; f++) w[f * batch + b] = data[base + f]!;
  }
}

/** A `[features, batch]` matrix's weights as a `[batch, features]` tensor. */
export function readColumns(source: Matrix): Tensor {
  const features = source.rows;
  const batch = source.columns;
  const data = new Float32Array(features * batch);
  for (let f = 0; f < features; f++) for (let b = 0; b < batch; b++) data[b * features + f] = source.weights[f * batch + b]!;
  return { shape: [batch, features], data };
}

/**
 * Loss of a `[outputs, batch]` output matrix and the seed for its deltas: dLoss/dOutput of the batch-mean loss,
 * computed by core in float64 (PyTorch's definitions), transposed back into the matrix layout.
 */
export function lossOfColumns(outputMatrix: Matrix, target: Tensor, loss: LossName): { output: Tensor; loss: number; seed: (deltas: Float32Array) => void } {
  const output = readColumns(outputMatrix);
  const [batch, features] = output.shape as [number, number];
  const value = computeLoss(loss, output.data, target.data, batch);
  return {
    output,
    loss: value.loss,
    seed: (deltas) => {
      for (let b = 0; b < batch; b++) for (let f = 0; f < features; f++) deltas[f * batch + b] = value.grad[b * features + f]!;
    },
  };
}
