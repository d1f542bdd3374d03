import * as tf from '@tensorflow/tfjs';
import { ShapeError, type LossName, type Tensor } from '@gradscope/core';

/** DESIGN.md's losses in tf ops: `mse` over every element, `crossEntropy` the batch mean of -log softmax[label]. */
export function lossTensor(loss: LossName, output: tf.Tensor, target: tf.Tensor): tf.Scalar {
  if (loss === 'mse') return tf.mean(tf.squaredDifference(output, target));
  const classes = output.shape[1]!;
  const oneHot = tf.oneHot(tf.cast(target, 'int32') as tf.Tensor1D, classes);
  return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(output)), 1)));
}

/** crossEntropy labels must be class indices; tf.oneHot would silently map a bad label to a zero row. */
export function checkLabels(loss: LossName, target: Tensor, classes: number): void {
  if (loss !== 'crossEntropy') return;
  target.data.forEach((label, b) => {
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      throw new ShapeError(`crossEntropy target[${b}] = ${label} is not a class index in [0, ${classes})`);
    }
  });
}
