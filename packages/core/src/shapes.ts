import type { Batch } from './backend.js';
import { ShapeError } from './errors.js';
import type { NetworkSpec } from './spec.js';
import { formatShape, sizeOf, type Tensor } from './tensor.js';
import type { LossName } from './training.js';

export interface BatchDims {
  readonly batch: number;
  /** Sequence length T for recurrent specs; 0 for residual ones. */
  readonly steps: number;
}

/** Checks an input tensor against the spec: `[batch, inputSize]` or `[batch, T, inputSize]`. */
export function checkInput(spec: NetworkSpec, input: Tensor, name = 'input'): BatchDims {
  const want = spec.kind === 'residual' ? `[batch, ${spec.inputSize}]` : `[batch, T, ${spec.inputSize}]`;
  const rank = spec.kind === 'residual' ? 2 : 3;
  const shape = input.shape;
  const ok = shape.length === rank && shape.every((d) => Number.isInteger(d) && d >= 1) && shape[rank - 1] === spec.inputSize;
  if (!ok) throw new ShapeError(`${name}: expected shape ${want}, got ${formatShape(shape)}`);
  if (input.data.length !== sizeOf(shape)) {
    throw new ShapeError(`${name}: shape ${formatShape(shape)} needs ${sizeOf(shape)} values, got ${input.data.length}`);
  }
  return { batch: shape[0]!, steps: rank === 3 ? shape[1]! : 0 };
}

/** Checks input and target together for a loss: mse needs `[batch, outputSize]`, crossEntropy `[batch]` labels. */
export function checkBatch(spec: NetworkSpec, batch: Batch, loss: LossName): BatchDims {
  const dims = checkInput(spec, batch.input);
  const t = batch.target;
  const want = loss === 'mse' ? [dims.batch, spec.outputSize] : [dims.batch];
  const ok = t.shape.length === want.length && t.shape.every((d, i) => d === want[i]) && t.data.length === sizeOf(want);
  if (!ok) throw new ShapeError(`target: ${loss} expects shape ${formatShape(want)}, got ${formatShape(t.shape)}`);
  return dims;
}
