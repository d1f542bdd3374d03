import * as tf from '@tensorflow/tfjs';
import { countDeadUnits, planResidual, runResidualPlan, type Activation, type ResidualSpec } from '@gradscope/core';

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
  readonly activations?: readonly (readonly tf.Tensor[])[];
}

/**
 * Core's residual plan in tf ops. With `probes` (one zero `[batch, width]` tensor per block) each block output is
 * `h + probe`, so the gradient with respect to a probe is dL/d(block output).
 */
export function residualForward(spec: ResidualSpec, w: WeightTensors, x: tf.Tensor, probes?: readonly tf.Tensor[], traceActivations = false): ResidualTrace {
  const run = runResidualPlan(planResidual(spec), {
    linear: (v, name) => linear(v, w, name),
    activate: (v, activation) => activate(activation, v),
    // One addN for skip + probe: fewer tfjs ops than two adds (each op's dispatch is visible on wasm).
    sum: (terms) => tf.addN([...terms]),
  }, x, probes);
  return traceActivations ? { output: run.output, activations: run.blockActivations } : { output: run.output };
}

/**
 * Per block, the fraction of its activation units that are zero for every example of the batch. `activations`
 * is `[batch, depth * unitsPerBlock]` (every block's activations side by side), read back from the device.
 */
export function deadUnitFractions(activations: Float32Array, batch: number, depth: number, unitsPerBlock: number): number[] {
  const units = depth * unitsPerBlock;
  return Array.from({ length: depth }, (_, block) => countDeadUnits(batch, unitsPerBlock, (b, u) => activations[b * units + block * unitsPerBlock + u]!) / unitsPerBlock);
}
