import type { ParamSet, Tensor } from '@gradscope/core';

/**
 * Layout conversion between PyTorch's `state_dict` and what the tfjs code multiplies with.
 *
 * tfjs computes `x · W` with a kernel `[in, out]`, PyTorch stores `Linear.weight` (and `weight_ih/hh`) as
 * `[out, in]`: every rank-2 weight is transposed, biases are unchanged. Gates stay in PyTorch's order inside
 * the adapter (LSTM `i,f,g,o`, which is also Keras' `i,f,c,o`; GRU `r,z,n`); only export builds Keras weights.
 */

/** Row-major `[rows, cols]` -> `[cols, rows]`. */
export function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[base + c]!;
  }
  return out;
}

/** The tfjs shape of a parameter given its PyTorch shape. */
export function tfjsShape(torchShape: readonly number[]): number[] {
  return torchShape.length === 2 ? [torchShape[1]!, torchShape[0]!] : [...torchShape];
}

/** A PyTorch-layout tensor in tfjs layout (a fresh array either way, so callers may mutate it). */
export function toTfjsLayout(t: Tensor): Tensor {
  if (t.shape.length !== 2) return { shape: [...t.shape], data: t.data.slice() };
  const [rows, cols] = t.shape as [number, number];
  return { shape: [cols, rows], data: transpose2d(t.data, rows, cols) };
}

/** Inverse of `toTfjsLayout`: `torchShape` is the PyTorch shape the data must end in. */
export function toTorchLayout(data: Float32Array, torchShape: readonly number[]): Tensor {
  if (torchShape.length !== 2) return { shape: [...torchShape], data: data.slice() };
  const [rows, cols] = torchShape as [number, number];
  return { shape: [...torchShape], data: transpose2d(data, cols, rows) };
}

/** Keras weights of one recurrent layer (`lstm` or `simpleRNN`): kernels `[in, G*H]`, `[H, G*H]`, one bias. */
export interface KerasRecurrentWeights {
  readonly kernel: Tensor;
  readonly recurrentKernel: Tensor;
  readonly bias: Tensor;
}

/**
 * PyTorch `weight_ih_l{k}`, `weight_hh_l{k}`, `bias_ih_l{k}`, `bias_hh_l{k}` -> Keras' three tensors.
 * LSTM gate order `i,f,g,o` is Keras' `i,f,c,o`, so no reordering; Keras adds one bias where PyTorch has two.
 * (Not for GRU: PyTorch's reset-after GRU keeps `b_hn` separate, which one summed bias cannot express.)
 */
export function kerasRecurrentWeights(params: ParamSet, cell: 'lstm' | 'rnn', layer: number): KerasRecurrentWeights {
  const get = (name: string): Tensor => {
    const t = params[`${cell}.${name}_l${layer}`];
    if (!t) throw new Error(`missing ${cell}.${name}_l${layer}`); // validated params never reach this
    return t;
  };
  const bih = get('bias_ih');
  const bhh = get('bias_hh');
  const bias = new Float32Array(bih.data.length);
  for (let i = 0; i < bias.length; i++) bias[i] = bih.data[i]! + bhh.data[i]!;
  return { kernel: toTfjsLayout(get('weight_ih')), recurrentKernel: toTfjsLayout(get('weight_hh')), bias: { shape: [bias.length], data: bias } };
}
