import * as tf from '@tensorflow/tfjs';
import { planRecurrent, runRecurrentLayers, runRecurrentPlan, type RecurrentPlan, type RecurrentPrimitives, type RecurrentProbes, type RecurrentSpec } from '@gradscope/core';
import { linear, type WeightTensors } from './residual.js';

/** How many probes a recurrent report needs: one per layer and timestep for h_t, as many again for an LSTM's c_t. */
export function recurrentProbeCount(spec: RecurrentSpec, steps: number): number {
  return (spec.cell === 'lstm' ? 2 : 1) * spec.numLayers * steps;
}

/** Arranges `recurrentProbeCount` probe slices as the `[layer][t]` grids: hidden first, then cell. */
export function recurrentProbeGrid(spec: RecurrentSpec, steps: number, slices: readonly tf.Tensor[]): RecurrentProbes<tf.Tensor> {
  const grid = (offset: number): tf.Tensor[][] =>
    Array.from({ length: spec.numLayers }, (_, k) => slices.slice(offset + k * steps, offset + (k + 1) * steps));
  return spec.cell === 'lstm' ? { hidden: grid(0), cell: grid(spec.numLayers * steps) } : { hidden: grid(0) };
}

/**
 * Core's recurrent primitives in tf ops over batch-first `x` `[batch, T, in]`, weights by PyTorch name in tfjs layout
 * (kernels `[in, G*H]`). A projection is one `[batch, G*H]` tensor, split into gates only where the cell needs them.
 */
function recurrentOps(plan: RecurrentPlan, w: WeightTensors, x: tf.Tensor): RecurrentPrimitives<tf.Tensor, tf.Tensor> {
  const batch = x.shape[0];
  const split = (p: tf.Tensor): tf.Tensor[] => (plan.gates === 1 ? [p] : tf.split(p, plan.gates, 1));
  return {
    projectInputs(layer, below) {
      const seq = below === null ? x : tf.stack(below as tf.Tensor[], 1);
      const [, steps, inF] = seq.shape as [number, number, number];
      const gates = plan.gates * plan.hiddenSize;
      // The input projection of every timestep in one matMul; the recurrence then needs one matMul per step.
      const projected = tf.reshape(tf.add(tf.matMul(tf.reshape(seq, [batch * steps, inF]) as tf.Tensor2D, w[layer.weightIh] as tf.Tensor2D), w[layer.biasIh]!), [batch, steps, gates]);
      // tfjs' Unpack gradient fails for a single output, so T = 1 reshapes instead.
      return steps === 1 ? [tf.reshape(projected, [batch, gates])] : tf.unstack(projected, 1);
    },
    projectHidden: (layer, h) => tf.add(tf.matMul(h as tf.Tensor2D, w[layer.weightHh] as tf.Tensor2D), w[layer.biasHh]!),
    split,
    activateSum: (a, b, acts) => {
      const pre = tf.add(a, b);
      if (acts.length === 1) return [acts[0] === 'sigmoid' ? tf.sigmoid(pre) : tf.tanh(pre)];
      // an LSTM: one sigmoid over all four blocks (one gradient chain, not three), the tanh block cut from pre
      const sig = split(tf.sigmoid(pre));
      const raw = split(pre);
      return acts.map((kind, j) => (kind === 'sigmoid' ? sig[j]! : tf.tanh(raw[j]!)));
    },
    zeros: () => tf.zeros([batch, plan.hiddenSize]),
    sigmoid: (v) => tf.sigmoid(v),
    tanh: (v) => tf.tanh(v),
    mul: (a, b) => tf.mul(a, b),
    sub: (a, b) => tf.sub(a, b),
    sum: (terms) => (terms.length === 2 ? tf.add(terms[0]!, terms[1]!) : tf.addN([...terms])),
    linear: (h, name) => linear(h, w, name),
  };
}

/** Forward pass of stacked cells over batch-first `[batch, T, inputSize]`, Linear readout of the top layer's last h. */
export function recurrentForward(spec: RecurrentSpec, w: WeightTensors, x: tf.Tensor, probes?: RecurrentProbes<tf.Tensor>): tf.Tensor {
  const plan = planRecurrent(spec);
  return runRecurrentPlan(plan, recurrentOps(plan, w, x), probes).output;
}

/** One layer's weights in tfjs layout: kernels `[in, G*H]` and `[H, G*H]`, PyTorch's two biases `[G*H]`. */
export interface CellWeights {
  readonly kernel: tf.Tensor;
  readonly recurrentKernel: tf.Tensor;
  readonly inputBias: tf.Tensor;
  readonly recurrentBias: tf.Tensor;
}

/** One PyTorch GRU layer over `[batch, T, in]` from a zero state (tfjs' exported GRU layer): h_t for every step. */
export function gruLayer(hiddenSize: number, w: CellWeights, x: tf.Tensor): tf.Tensor[] {
  const plan = planRecurrent({ cell: 'gru', hiddenSize, numLayers: 1 });
  const [layer] = plan.layers as [RecurrentPlan['layers'][number]];
  const byName = { [layer.weightIh]: w.kernel, [layer.weightHh]: w.recurrentKernel, [layer.biasIh]: w.inputBias, [layer.biasHh]: w.recurrentBias };
  return [...runRecurrentLayers(plan, recurrentOps(plan, byName, x)).hidden[0]!];
}
