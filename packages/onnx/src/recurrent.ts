import { planRecurrent, runRecurrentPlan, type RecurrentSpec } from '@gradscope/core';
import type { Graph } from './graph.js';
import { linear, type ParamValue } from './residual.js';

/** What the unrolled forward graph of a recurrent net exposes for the gradient report. */
export interface RecurrentForward {
  readonly output: string;
  /** x_t `[batch, inputSize]` per timestep. */
  readonly inputs: readonly string[];
  /** h_t `[batch, hidden]` per layer and timestep. */
  readonly hidden: readonly (readonly string[])[];
  /** LSTM c_t per layer and timestep (empty for GRU and RNN). */
  readonly cell: readonly (readonly string[])[];
}

/**
 * Core's recurrent plan on ONNX ops, unrolled over `steps` timesteps of `x` `[batch, T, inputSize]`, weights in
 * PyTorch layout. A projection is one `[batch, G*H]` Gemm; an LSTM's two are added before the one Split into gates.
 */
export function recurrentForward(g: Graph, spec: RecurrentSpec, x: string, p: ParamValue, batch: number, steps: number): RecurrentForward {
  const plan = planRecurrent(spec);
  const H = spec.hiddenSize;
  const pieces = g.op('Split', [x, g.constInt64(new Array<number>(steps).fill(1))], { axis: 1 }, steps);
  const inputs = pieces.map((piece) => g.op1('Reshape', [piece, g.constInt64([batch, spec.inputSize])]));
  const gemm = (v: string, w: string, b: string): string => g.op1('Gemm', [v, p(w), p(b)], { transB: 1 });
  const split = (v: string): string[] => (plan.gates === 1 ? [v] : g.op('Split', [v, g.constInt64(new Array<number>(plan.gates).fill(H))], { axis: 1 }, plan.gates));
  const add = (a: string, b: string): string => g.op1('Add', [a, b]);
  const run = runRecurrentPlan(plan, {
    projectInputs: (layer, below) => (below ?? inputs).map((v) => gemm(v, layer.weightIh, layer.biasIh)),
    projectHidden: (layer, h) => gemm(h, layer.weightHh, layer.biasHh),
    split,
    splitSum: (a, b) => split(add(a, b)),
    zeros: () => g.constFloat(new Float32Array(batch * H), [batch, H]),
    sigmoid: (v) => g.op1('Sigmoid', [v]),
    tanh: (v) => g.op1('Tanh', [v]),
    mul: (a, b) => g.op1('Mul', [a, b]),
    sub: (a, b) => g.op1('Sub', [a, b]),
    sum: (terms) => terms.slice(1).reduce(add, terms[0]!),
    linear: (h, name) => linear(g, h, p, name),
  });
  return { output: run.output, inputs, hidden: run.hidden, cell: spec.cell === 'lstm' ? run.cell : [] };
}
