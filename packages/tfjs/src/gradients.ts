import * as tf from '@tensorflow/tfjs';

/**
 * `tf.valueAndGrads(f)(xs)` without its argument spread: tfjs calls `f(...xs)`, which throws "Maximum call stack size
 * exceeded" once `xs` holds ~100k tensors (a residual net of 1024 blocks x 64 layers has 131,076 weights). `f` reads
 * the tensors by closure; gradients are taken with respect to exactly `xs` (by identity).
 */
export function valueAndGrads(f: () => tf.Scalar, xs: tf.Tensor[]): { value: tf.Scalar; grads: tf.Tensor[] } {
  const { value, grads } = tf.engine().gradients(f, xs);
  const missing = grads.findIndex((g) => g == null);
  if (missing >= 0) throw new Error(`tensor ${missing} of ${xs.length} does not reach the loss (no gradient)`);
  return { value, grads };
}
