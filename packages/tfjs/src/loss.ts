import * as tf from '@tensorflow/tfjs';
import type { LossName } from '@gradscope/core';

/** DESIGN.md's losses in tf ops (labels checked beforehand with core's `checkLabels`): `mse` over every element, `crossEntropy` the batch mean of -log softmax[label]. */
export function lossTensor(loss: LossName, output: tf.Tensor, target: tf.Tensor): tf.Scalar {
  if (loss === 'mse') return tf.mean(tf.squaredDifference(output, target));
  const classes = output.shape[1]!;
  const oneHot = tf.oneHot(tf.cast(target, 'int32') as tf.Tensor1D, classes);
  return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(output)), 1)));
}
