import { paramShapes, type NetworkSpec, type ParamSet } from '@gradscope/core';
import type { Feeds } from './session.js';

/**
 * The training graphs take every parameter as a graph input named with its PyTorch name, in PyTorch layout
 * (Linear weights `[out, in]` through Gemm transB=1; recurrent gates sliced in PyTorch's order), so a training
 * step feeds new weights without rebuilding a session and no conversion is needed there. Only export converts
 * (see `onnxRecurrentWeights`).
 */
export function paramFeeds(params: Readonly<Record<string, Float32Array>>, spec: NetworkSpec): Feeds {
  const feeds: Feeds = {};
  for (const { name, shape } of paramShapes(spec)) feeds[name] = { dims: shape, data: params[name]! };
  return feeds;
}

/** Float32 copies of a validated parameter set, by name. */
export function paramArrays(params: ParamSet): Record<string, Float32Array> {
  return Object.fromEntries(Object.entries(params).map(([n, t]) => [n, Float32Array.from(t.data)]));
}

/** Gate block order of ONNX's recurrent ops, as indices into PyTorch's order. */
export const onnxGateOrder = {
  // PyTorch i,f,g,o -> ONNX i,o,f,c
  lstm: [0, 3, 1, 2],
  // PyTorch r,z,n -> ONNX z,r,h (with linear_before_reset=1)
  gru: [1, 0, 2],
  rnn: [0],
} as const;

/** Reorders the gate blocks (row blocks of `rowsPerGate` rows) of a stacked weight or bias. */
export function reorderGates(data: Float32Array, rowsPerGate: number, order: readonly number[]): Float32Array {
  const block = data.length / order.length;
  if (!Number.isInteger(block) || block % rowsPerGate !== 0) throw new RangeError(`cannot split ${data.length} values into ${order.length} gates`);
  const out = new Float32Array(data.length);
  order.forEach((src, dst) => out.set(data.subarray(src * block, (src + 1) * block), dst * block));
  return out;
}

export interface OnnxRecurrentWeights {
  /** `W [1, gates*H, in]` */
  readonly w: Float32Array;
  /** `R [1, gates*H, H]` */
  readonly r: Float32Array;
  /** `B [1, 2*gates*H]` = concat(b_ih, b_hh), each reordered. */
  readonly b: Float32Array;
}

/** One layer's PyTorch weights as the W, R, B inputs of ONNX's LSTM/GRU/RNN op. */
export function onnxRecurrentWeights(spec: { cell: 'lstm' | 'gru' | 'rnn'; hiddenSize: number }, params: Readonly<Record<string, Float32Array>>, layer: number): OnnxRecurrentWeights {
  const order = onnxGateOrder[spec.cell];
  const H = spec.hiddenSize;
  const get = (w: string): Float32Array => params[`${spec.cell}.${w}_l${layer}`]!;
  const bih = reorderGates(get('bias_ih'), H, order);
  const bhh = reorderGates(get('bias_hh'), H, order);
  const b = new Float32Array(bih.length * 2);
  b.set(bih);
  b.set(bhh, bih.length);
  return { w: reorderGates(get('weight_ih'), H, order), r: reorderGates(get('weight_hh'), H, order), b };
}
