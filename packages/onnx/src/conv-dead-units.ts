import { convLayout, type ConvResidualSpec } from '@gradscope/core';
import type { Graph } from './graph.js';

/** Graph output of `deadUnitCounts`. */
export const DEAD_UNIT_COUNTS = 'norms/dead-units';

/**
 * Per ReLU output `[N, C, H, W]`, how many units `(c, y, x)` are zero for every example of the batch, as one `[k]`
 * output (counts, exact in float32, so the host divides in float64). ReLU outputs are never negative, so "zero for
 * every example" is "the batch maximum is zero".
 */
export function deadUnitCounts(g: Graph, activations: readonly string[]): void {
  const rows = activations.map((a) => {
    const dead = g.op1('Cast', [g.op1('Equal', [g.op1('ReduceMax', [a], { axes: [0], keepdims: 0 }), g.constFloat(0)])], { to: 1 });
    return g.op1('Reshape', [g.op1('ReduceSum', [dead], { keepdims: 0 }), g.constInt64([1])]);
  });
  g.output(g.rename(g.op1('Concat', rows, { axis: 0 }), DEAD_UNIT_COUNTS));
}

/** Per BasicBlock, from the counts of its two ReLUs (hidden, output; both of the block's output shape): the dead fraction. */
export function convDeadUnitFractions(spec: ConvResidualSpec, counts: ArrayLike<number>): number[] {
  return convLayout(spec).blocks.map((b, i) => (counts[2 * i]! + counts[2 * i + 1]!) / (2 * b.outChannels * b.outSize[0] * b.outSize[1]));
}
