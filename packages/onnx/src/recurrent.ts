import { planRecurrent, runRecurrentPlan, type GateActivation, type RecurrentSpec } from '@gradscope/core';
import type { Graph } from './graph.js';
import { linear, type ParamValue } from './residual.js';

/** What the unrolled forward graph of a recurrent net exposes for the gradient report. */
export interface RecurrentForward {
  readonly output: string;
  /** h_t `[batch, hidden]` per layer and timestep. */
  readonly hidden: readonly (readonly string[])[];
  /** LSTM c_t per layer and timestep (empty for GRU and RNN). */
  readonly cell: readonly (readonly string[])[];
}

/**
 * Core's recurrent plan on ONNX ops, unrolled over `steps` timesteps of `x` `[batch, T, inputSize]`, weights in
 * PyTorch layout. A projection is one `[batch, G*H]` value; the first layer projects every timestep of `x` in one
 * Gemm (its backward is one Gemm too, instead of one per step and a sum over steps), the hidden side is one Gemm per
 * step, and an LSTM's two projections are added before one Sigmoid and one Split into gates. Fewer, larger nodes:
 * onnxruntime's cost per node, not the arithmetic, bounds these small steps.
 */
export function recurrentForward(g: Graph, spec: RecurrentSpec, x: string, p: ParamValue, batch: number, steps: number): RecurrentForward {
  const plan = planRecurrent(spec);
  const H = spec.hiddenSize;
  const perStep = (v: string, width: number): string[] =>
    g.op('Split', [v, g.constInt64(new Array<number>(steps).fill(1))], { axis: 1 }, steps).map((piece) => g.op1('Reshape', [piece, g.constInt64([batch, width])]));
  /** `v W^T (+ b)`; `b` is a graph value (a parameter, or the sum of two). */
  const gemm = (v: string, w: string, b: string | undefined): string => g.op1('Gemm', b === undefined ? [v, p(w)] : [v, p(w), b], { transB: 1 });
  const projectSequence = (w: string, b: string): string[] => {
    const flat = g.op1('Reshape', [x, g.constInt64([batch * steps, spec.inputSize])]);
    const width = plan.gates * H;
    return perStep(g.op1('Reshape', [gemm(flat, w, b), g.constInt64([batch, steps, width])]), width);
  };
  // An LSTM's and an RNN's two biases add to the same pre-activation, so both go on the input side (one Add per layer)
  // and the per-step hidden Gemm has no bias to differentiate; a GRU's b_hn sits inside r ⊙ (W_hn h + b_hn).
  const folded = plan.cell !== 'gru';
  const inputBias = new Map(plan.layers.map((l) => [l.index, folded ? g.op1('Add', [p(l.biasIh), p(l.biasHh)]) : p(l.biasIh)]));
  const split = (v: string): string[] => (plan.gates === 1 ? [v] : g.op('Split', [v, g.constInt64(new Array<number>(plan.gates).fill(H))], { axis: 1 }, plan.gates));
  const add = (a: string, b: string): string => g.op1('Add', [a, b]);
  const act = (kind: GateActivation, v: string): string => g.op1(kind === 'sigmoid' ? 'Sigmoid' : 'Tanh', [v]);
  const run = runRecurrentPlan(plan, {
    projectInputs: (layer, below) => {
      const bias = inputBias.get(layer.index)!;
      return below === null ? projectSequence(layer.weightIh, bias) : below.map((v) => gemm(v, layer.weightIh, bias));
    },
    projectHidden: (layer, h) => gemm(h, layer.weightHh, folded ? undefined : p(layer.biasHh)),
    split,
    activateSum: (a, b, acts) => {
      const pre = add(a, b);
      if (acts.length === 1) return [act(acts[0]!, pre)];
      // an LSTM: one Sigmoid over all four blocks (its backward is one chain, not three), the tanh block cut out of
      // the pre-activation; the unused blocks cost a few elementwise values, not nodes
      const sig = split(g.op1('Sigmoid', [pre]));
      const raw = acts.includes('tanh') ? split(pre) : [];
      return acts.map((kind, j) => (kind === 'sigmoid' ? sig[j]! : act('tanh', raw[j]!)));
    },
    zeros: () => g.constFloat(new Float32Array(batch * H), [batch, H]),
    sigmoid: (v) => g.op1('Sigmoid', [v]),
    tanh: (v) => g.op1('Tanh', [v]),
    mul: (a, b) => g.op1('Mul', [a, b]),
    sub: (a, b) => g.op1('Sub', [a, b]),
    sum: (terms) => terms.slice(1).reduce(add, terms[0]!),
    linear: (h, name) => linear(g, h, p, name),
  });
  return { output: run.output, hidden: run.hidden, cell: spec.cell === 'lstm' ? run.cell : [] };
}
