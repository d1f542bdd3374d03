import * as tf from '@tensorflow/tfjs';
import { gateCount, type RecurrentSpec } from '@gradscope/core';
import { linear, type WeightTensors } from './residual.js';

/**
 * Zero tensors `[batch, hidden]` added to every h_t (and, for LSTMs, every c_t) as soon as it is computed, so
 * their gradients are the total dL/dh_t and dL/dc_t through the recurrence. Indexed `[layer][t]`.
 */
export interface RecurrentProbes {
  readonly hidden: readonly (readonly tf.Tensor[])[];
  readonly cell?: readonly (readonly tf.Tensor[])[];
}

/** One zero probe per layer and timestep (plus the cell-state ones for LSTMs). */
export function createRecurrentProbes(spec: RecurrentSpec, batch: number, steps: number): RecurrentProbes {
  const grid = (): tf.Tensor[][] =>
    Array.from({ length: spec.numLayers }, () => Array.from({ length: steps }, () => tf.zeros([batch, spec.hiddenSize])));
  return spec.cell === 'lstm' ? { hidden: grid(), cell: grid() } : { hidden: grid() };
}

interface CellState {
  h: tf.Tensor;
  c?: tf.Tensor;
}

/**
 * One step of a PyTorch cell. `xp` is `x_t · W_ih + b_ih` and `hp` is `h_{t-1} · W_hh + b_hh`, both `[batch, G*H]`
 * in PyTorch's gate order.
 */
function cellStep(spec: RecurrentSpec, xp: tf.Tensor, hp: tf.Tensor, prev: CellState, cellProbe: tf.Tensor | undefined): CellState {
  switch (spec.cell) {
    case 'rnn':
      return { h: tf.tanh(tf.add(xp, hp)) };
    case 'lstm': {
      const [i, f, g, o] = tf.split(tf.add(xp, hp), 4, 1) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
      let c = tf.add(tf.mul(tf.sigmoid(f), prev.c!), tf.mul(tf.sigmoid(i), tf.tanh(g)));
      if (cellProbe) c = tf.add(c, cellProbe);
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

/** Forward pass of stacked cells over batch-first `[batch, T, inputSize]`, Linear readout of the top layer's last h. */
export function recurrentForward(spec: RecurrentSpec, w: WeightTensors, x: tf.Tensor, probes?: RecurrentProbes): tf.Tensor {
  const [batch, steps] = x.shape as [number, number, number];
  const gates = gateCount(spec.cell) * spec.hiddenSize;
  let seq = x;
  let last: tf.Tensor | undefined;
  for (let k = 0; k < spec.numLayers; k++) {
    const name = (p: string): tf.Tensor => w[`${spec.cell}.${p}_l${k}`]!;
    const whh = name('weight_hh') as tf.Tensor2D;
    const bhh = name('bias_hh');
    // The input projection of every timestep in one matMul; the recurrence then needs one matMul per step.
    const inF = seq.shape[2]!;
    const projected = tf.reshape(tf.add(tf.matMul(tf.reshape(seq, [batch * steps, inF]) as tf.Tensor2D, name('weight_ih') as tf.Tensor2D), name('bias_ih')), [batch, steps, gates]);
    // tfjs' Unpack gradient fails for a single output, so T = 1 reshapes instead.
    const xps = steps === 1 ? [tf.reshape(projected, [batch, gates])] : tf.unstack(projected, 1);
    // Zero initial state. Multiplying it by W_hh costs one small matMul per layer but keeps W_hh on the tape even
    // when T = 1 (tf.grads refuses an input that does not reach the loss).
    const zero = tf.zeros([batch, spec.hiddenSize]);
    let state: CellState = spec.cell === 'lstm' ? { h: zero, c: zero } : { h: zero };
    const hs: tf.Tensor[] = [];
    for (let t = 0; t < steps; t++) {
      const hp = tf.add(tf.matMul(state.h as tf.Tensor2D, whh), bhh);
      state = cellStep(spec, xps[t]!, hp, state, probes?.cell?.[k]?.[t]);
      const probe = probes?.hidden[k]?.[t];
      if (probe) state.h = tf.add(state.h, probe);
      hs.push(state.h);
    }
    last = state.h;
    if (k < spec.numLayers - 1) seq = tf.stack(hs, 1);
  }
  return linear(last!, w, 'fc');
}
