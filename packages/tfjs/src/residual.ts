import * as tf from '@tensorflow/tfjs';
import type { Activation, ResidualSpec } from '@gradscope/core';

/** Weights by PyTorch name, in tfjs layout (kernels `[in, out]`). */
export type WeightTensors = Readonly<Record<string, tf.Tensor>>;

/** DESIGN.md's activations in tf ops: leakyRelu slope 0.01 (PyTorch, not tfjs's 0.2), gelu in the exact erf form. */
export function activate(activation: Activation, x: tf.Tensor): tf.Tensor {
  switch (activation) {
    case 'relu':
      return tf.relu(x);
    case 'tanh':
      return tf.tanh(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'leakyRelu':
      return tf.leakyRelu(x, 0.01);
    case 'gelu':
      return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
    case 'linear':
      return x;
  }
}

export function linear(x: tf.Tensor, w: WeightTensors, name: string): tf.Tensor {
  return tf.add(tf.matMul(x as tf.Tensor2D, w[`${name}.weight`] as tf.Tensor2D), w[`${name}.bias`]!);
}

export interface ResidualTrace {
  readonly output: tf.Tensor;
  /** Per block, every activation output of its layers (for dead-unit counts); only when asked for. */
  readonly activations?: tf.Tensor[][];
}

/**
 * Forward pass of a dense residual net. With `probes` (one zero `[batch, width]` tensor per block) each block
 * output is `h + probe`, so the gradient with respect to a probe is dL/d(block output).
 */
export function residualForward(spec: ResidualSpec, w: WeightTensors, x: tf.Tensor, probes?: readonly tf.Tensor[], traceActivations = false): ResidualTrace {
  const act = spec.block.activation;
  let h = activate(act, linear(x, w, 'stem'));
  const activations: tf.Tensor[][] | undefined = traceActivations ? [] : undefined;
  for (let i = 0; i < spec.depth; i++) {
    let f = h;
    const blockActs: tf.Tensor[] = [];
    for (let j = 0; j < spec.block.layers; j++) {
      f = activate(act, linear(f, w, `blocks.${i}.${j}`));
      blockActs.push(f);
    }
    activations?.push(blockActs);
    h = spec.block.skip === 'identity' ? tf.add(h, f) : f;
    const probe = probes?.[i];
    if (probe) h = tf.add(h, probe);
  }
  const output = linear(h, w, 'head');
  return activations ? { output, activations } : { output };
}

/**
 * Per block, the fraction of its activation units that are zero for every example of the batch. `activations`
 * is `[batch, depth * unitsPerBlock]` (every block's activations side by side), read back from the device.
 */
export function deadUnitFractions(activations: Float32Array, batch: number, depth: number, unitsPerBlock: number): number[] {
  const units = depth * unitsPerBlock;
  return Array.from({ length: depth }, (_, block) => {
    let dead = 0;
    for (let u = block * unitsPerBlock; u < (block + 1) * unitsPerBlock; u++) {
      let b = 0;
      while (b < batch && activations[b * units + u] === 0) b++;
      if (b === batch) dead++;
    }
    return dead / unitsPerBlock;
  });
}
