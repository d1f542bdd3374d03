import type { RecurrentSpec } from '@gradscope/core';
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

/** Gate pre-activations `x W_ih^T + b_ih` (or `h W_hh^T + b_hh`) split into PyTorch's gate blocks. */
function gates(g: Graph, x: string, w: string, b: string, count: number, hidden: number): string[] {
  const z = g.op1('Gemm', [x, w, b], { transB: 1 });
  return count === 1 ? [z] : g.op('Split', [z, g.constInt64(new Array<number>(count).fill(hidden))], { axis: 1 }, count);
}

/**
 * DESIGN.md's stacked recurrent net unrolled over `steps` timesteps of `x` `[batch, T, inputSize]`: zero initial
 * state, PyTorch's cell equations and gate order (LSTM i,f,g,o; GRU r,z,n with the reset gate applied to
 * `W_hn h + b_hn`; tanh RNN), Linear readout of the top layer's last step. Weights stay in PyTorch layout.
 */
export function recurrentForward(g: Graph, spec: RecurrentSpec, x: string, p: ParamValue, batch: number, steps: number): RecurrentForward {
  const H = spec.hiddenSize;
  const pieces = g.op('Split', [x, g.constInt64(new Array<number>(steps).fill(1))], { axis: 1 }, steps);
  const inputs = pieces.map((piece) => g.op1('Reshape', [piece, g.constInt64([batch, spec.inputSize])]));
  const zeros = (): string => g.constFloat(new Float32Array(batch * H), [batch, H]);
  const hidden: string[][] = [];
  const cell: string[][] = [];
  let layerInput: readonly string[] = inputs;
  for (let k = 0; k < spec.numLayers; k++) {
    const name = (w: string): string => p(`${spec.cell}.${w}_l${k}`);
    const hs: string[] = [];
    const cs: string[] = [];
    let h = zeros();
    let c = spec.cell === 'lstm' ? zeros() : '';
    for (const xt of layerInput) {
      if (spec.cell === 'lstm') {
        const gi = gates(g, xt, name('weight_ih'), name('bias_ih'), 4, H);
        const gh = gates(g, h, name('weight_hh'), name('bias_hh'), 4, H);
        const pre = gi.map((a, j) => g.op1('Add', [a, gh[j]!]));
        const i = g.op1('Sigmoid', [pre[0]!]);
        const f = g.op1('Sigmoid', [pre[1]!]);
        const gg = g.op1('Tanh', [pre[2]!]);
        const o = g.op1('Sigmoid', [pre[3]!]);
        c = g.op1('Add', [g.op1('Mul', [f, c]), g.op1('Mul', [i, gg])]);
        h = g.op1('Mul', [o, g.op1('Tanh', [c])]);
        cs.push(c);
      } else if (spec.cell === 'gru') {
        const [ir, iz, inn] = gates(g, xt, name('weight_ih'), name('bias_ih'), 3, H);
        const [hr, hz, hn] = gates(g, h, name('weight_hh'), name('bias_hh'), 3, H);
        const r = g.op1('Sigmoid', [g.op1('Add', [ir!, hr!])]);
        const z = g.op1('Sigmoid', [g.op1('Add', [iz!, hz!])]);
        const n = g.op1('Tanh', [g.op1('Add', [inn!, g.op1('Mul', [r, hn!])])]);
        // h' = (1 - z) n + z h = n + z (h - n)
        h = g.op1('Add', [n, g.op1('Mul', [z, g.op1('Sub', [h, n])])]);
      } else {
        const [a] = gates(g, xt, name('weight_ih'), name('bias_ih'), 1, H);
        const [b] = gates(g, h, name('weight_hh'), name('bias_hh'), 1, H);
        h = g.op1('Tanh', [g.op1('Add', [a!, b!])]);
      }
      hs.push(h);
    }
    hidden.push(hs);
    if (spec.cell === 'lstm') cell.push(cs);
    layerInput = hs;
  }
  return { output: linear(g, hidden[spec.numLayers - 1]![steps - 1]!, p, 'fc'), inputs, hidden, cell };
}
