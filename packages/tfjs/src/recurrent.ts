import * as tf from '@tensorflow/tfjs';
import { gateCount, type CellType, type RecurrentSpec } from '@gradscope/core';
import { linear, type WeightTensors } from './residual.js';

/**
 * Zero tensors `[batch, hidden]` added to every h_t (and, for LSTMs, every c_t) as soon as it is computed, so
 * their gradients are the total dL/dh_t and dL/dc_t through the recurrence. Indexed `[layer][t]`.
 */
export interface RecurrentProbes {
  readonly hidden: readonly (readonly tf.Tensor[])[];
  readonly cell?: readonly (readonly tf.Tensor[])[];
}

/** How many probes a recurrent report needs: one per layer and timestep for h_t, as many again for an LSTM's c_t. */
export function recurrentProbeCount(spec: RecurrentSpec, steps: number): number {
  return (spec.cell === 'lstm' ? 2 : 1) * spec.numLayers * steps;
}

/** Arranges `recurrentProbeCount` probe slices as the `[layer][t]` grids: hidden first, then cell. */
export function recurrentProbeGrid(spec: RecurrentSpec, steps: number, slices: readonly tf.Tensor[]): RecurrentProbes {
  const grid = (offset: number): tf.Tensor[][] =>
    Array.from({ length: spec.numLayers }, (_, k) => slices.slice(offset + k * steps, offset + (k + 1) * steps));
  return spec.cell === 'lstm' ? { hidden: grid(0), cell: grid(spec.numLayers * steps) } : { hidden: grid(0) };
}

interface CellState {
  h: tf.Tensor;
  c?: tf.Tensor;
}

/**
 * One step of a PyTorch cell. `xp` is `x_t · W_ih + b_ih` and `hp` is `h_{t-1} · W_hh + b_hh`, both `[batch, G*H]`
 * in PyTorch's gate order.
 */
function cellStep(cell: CellType, xp: tf.Tensor, hp: tf.Tensor, prev: CellState, cellProbe: tf.Tensor | undefined): CellState {
  switch (cell) {
    case 'rnn':
      return { h: tf.tanh(tf.add(xp, hp)) };
    case 'lstm': {
      const [i, f, g, o] = tf.split(tf.add(xp, hp), 4, 1) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
      const c = tf.addN([tf.mul(tf.sigmoid(f), prev.c!), tf.mul(tf.sigmoid(i), tf.tanh(g)), ...(cellProbe ? [cellProbe] : [])]);
      return { h: tf.mul(tf.sigmoid(o), tf.tanh(c)), c };
    }
    case 'gru': {
      // PyTorch's reset-after form: n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), h' = (1 - z) ⊙ n + z ⊙ h.
      const [xr, xz, xn] = tf.split(xp, 3, 1) as [tf.Tensor, tf.Tensor, tf.Tensor];
      const [hr, hz, hn] = tf.split(hp, 3, 1) as [tf.Tensor, tf.Tensor, tf.Tensor];
      const r = tf.sigmoid(tf.add(xr, hr));
      const z = tf.sigmoid(tf.add(xz, hz));
      const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
      return { h: tf.add(tf.mul(tf.sub(1, z), n), tf.mul(z, prev.h)) };
    }
  }
}

/** One layer's weights in tfjs layout: kernels `[in, G*H]` and `[H, G*H]`, PyTorch's two biases `[G*H]`. */
export interface CellWeights {
  readonly kernel: tf.Tensor;
  readonly recurrentKernel: tf.Tensor;
  readonly inputBias: tf.Tensor;
  readonly recurrentBias: tf.Tensor;
}

/** Probes of one layer, indexed by timestep. */
interface LayerProbes {
  readonly hidden?: readonly tf.Tensor[];
  readonly cell?: readonly tf.Tensor[];
}

/** One recurrent layer over `[batch, T, in]` from a zero state: h_t for every step. */
export function recurrentLayer(cell: CellType, hiddenSize: number, w: CellWeights, seq: tf.Tensor, probes: LayerProbes = {}): tf.Tensor[] {
  const [batch, steps, inF] = seq.shape as [number, number, number];
  const gates = gateCount(cell) * hiddenSize;
  // The input projection of every timestep in one matMul; the recurrence then needs one matMul per step.
  const projected = tf.reshape(tf.add(tf.matMul(tf.reshape(seq, [batch * steps, inF]) as tf.Tensor2D, w.kernel as tf.Tensor2D), w.inputBias), [batch, steps, gates]);
  // tfjs' Unpack gradient fails for a single output, so T = 1 reshapes instead.
  const xps = steps === 1 ? [tf.reshape(projected, [batch, gates])] : tf.unstack(projected, 1);
  // Zero initial state. Multiplying it by W_hh costs one small matMul but keeps W_hh on the tape even when
  // T = 1 (tf.grads refuses an input that does not reach the loss).
  const zero = tf.zeros([batch, hiddenSize]);
  let state: CellState = cell === 'lstm' ? { h: zero, c: zero } : { h: zero };
  const hs: tf.Tensor[] = [];
  for (let t = 0; t < steps; t++) {
    const hp = tf.add(tf.matMul(state.h as tf.Tensor2D, w.recurrentKernel as tf.Tensor2D), w.recurrentBias);
    state = cellStep(cell, xps[t]!, hp, state, probes.cell?.[t]);
    const probe = probes.hidden?.[t];
    if (probe) state.h = tf.add(state.h, probe);
    hs.push(state.h);
  }
  return hs;
}

/** Forward pass of stacked cells over batch-first `[batch, T, inputSize]`, Linear readout of the top layer's last h. */
export function recurrentForward(spec: RecurrentSpec, w: WeightTensors, x: tf.Tensor, probes?: RecurrentProbes): tf.Tensor {
  let seq = x;
  let hs: tf.Tensor[] = [];
  for (let k = 0; k < spec.numLayers; k++) {
    const name = (p: string): tf.Tensor => w[`${spec.cell}.${p}_l${k}`]!;
    const weights = { kernel: name('weight_ih'), recurrentKernel: name('weight_hh'), inputBias: name('bias_ih'), recurrentBias: name('bias_hh') };
    const layerProbes = probes ? { hidden: probes.hidden[k], cell: probes.cell?.[k] } : {};
    hs = recurrentLayer(spec.cell, spec.hiddenSize, weights, seq, layerProbes);
    if (k < spec.numLayers - 1) seq = tf.stack(hs, 1);
  }
  return linear(hs.at(-1)!, w, 'fc');
}
