import type { LossName } from './training.js';
import type { NumericArray } from './tensor.js';
import { ShapeError } from './errors.js';

export interface LossValue {
  readonly loss: number;
  /** dLoss/dOutput, same length as the output. */
  readonly grad: Float64Array;
}

/**
 * Loss of a `[batch, outputs]` output against its target, with the gradient, in float64.
 * `mse` averages over every element; `crossEntropy` takes integer class labels `[batch]` and averages over the batch.
 */
export function computeLoss(loss: LossName, output: NumericArray, target: ArrayLike<number>, batch: number): LossValue {
  const grad = new Float64Array(output.length);
  if (loss === 'mse') {
    if (target.length !== output.length) throw new ShapeError(`mse target has ${target.length} values, output has ${output.length}`);
    let s = 0;
    const n = output.length;
    for (let i = 0; i < n; i++) {
      const d = output[i]! - target[i]!;
      s += d * d;
      grad[i] = (2 * d) / n;
    }
    return { loss: s / n, grad };
  }
  const classes = output.length / batch;
  if (target.length !== batch) throw new ShapeError(`crossEntropy target needs ${batch} class labels, got ${target.length}`);
  checkLabels(target, classes);
  let s = 0;
  for (let b = 0; b < batch; b++) {
    const label = target[b]!;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, output[b * classes + c]!);
    let z = 0;
    for (let c = 0; c < classes; c++) z += Math.exp(output[b * classes + c]! - max);
    const logZ = max + Math.log(z);
    s += logZ - output[b * classes + label]!;
    for (let c = 0; c < classes; c++) {
      const p = Math.exp(output[b * classes + c]! - logZ);
      grad[b * classes + c] = (p - (c === label ? 1 : 0)) / batch;
    }
  }
  return { loss: s / batch, grad };
}

/**
 * crossEntropy labels must be integer class indices in [0, classes): a runtime's one-hot would silently map a bad
 * label to a zero row. Every backend checks its targets with this before touching the runtime.
 */
export function checkLabels(target: ArrayLike<number>, classes: number): void {
  for (let b = 0; b < target.length; b++) {
    const label = target[b]!;
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      throw new ShapeError(`crossEntropy target[${b}] = ${label} is not a class index in [0, ${classes})`);
    }
  }
}
