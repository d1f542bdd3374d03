import { l2Norm, type Batch, type LossName, type ParamSet, type RecurrentSpec, type Tensor } from '@gradscope/core';
import { createMatrix, GradEquation, type Matrix } from './engine.js';
import { lossOfColumns, readColumns, writeColumns, type BrainNetwork, type GradientPass } from './network.js';
import { binding, bindParams, loadParams, readGrads, type ParamBinding } from './params.js';

/** One unrolled pass over a `[batch, T]` input: every matrix the report reads. */
interface Unrolled {
  readonly batch: number;
  readonly steps: number;
  readonly equation: GradEquation;
  /** x_t as `[inputSize, batch]`. */
  readonly inputs: Matrix[];
  /** h_t per layer and step, `[hidden, batch]`. */
  readonly hidden: Matrix[][];
  /** c_t per layer and step (LSTM only). */
  readonly cells: Matrix[][];
  readonly output: Matrix;
}

interface CellWeights {
  readonly ih: readonly Matrix[];
  readonly hh: readonly Matrix[];
  readonly bih: readonly Matrix[];
  readonly bhh: readonly Matrix[];
}

/**
 * PyTorch's stacked LSTM / GRU / tanh RNN with a Linear readout of the top layer's last step, unrolled on
 * brain.js's recurrent `Equation` engine (its multiply, add, sigmoid, tanh, multiplyElement), one column per
 * example. Gates are PyTorch's: LSTM `i,f,g,o` with a separate cell state; GRU `r,z,n`, reset applied to
 * `W_hn h + b_hn`; the RNN is tanh. Loss on the last step only; gradients accumulate over timesteps.
 */
export class RecurrentNetwork implements BrainNetwork {
  private readonly bindings: Map<string, ParamBinding>;
  private readonly layers: CellWeights[];
  private unrolled: Unrolled | undefined;

  constructor(readonly spec: RecurrentSpec) {
    this.bindings = bindParams(spec);
    const pieces = (name: string): readonly Matrix[] => binding(this.bindings, `${spec.cell}.${name}`).pieces;
    this.layers = Array.from({ length: spec.numLayers }, (_, k) => ({
      ih: pieces(`weight_ih_l${k}`),
      hh: pieces(`weight_hh_l${k}`),
      bih: pieces(`bias_ih_l${k}`),
      bhh: pieces(`bias_hh_l${k}`),
    }));
  }

  setParams(params: ParamSet): void {
    loadParams(this.bindings, params);
  }

  forward(input: Tensor): Tensor {
    const u = this.run(input);
    return readColumns(u.output);
  }

  gradients(batch: Batch, loss: LossName): GradientPass {
    const u = this.run(batch.input);
    const value = lossOfColumns(u.output, batch.target, loss);
    u.equation.backward(u.output, value.seed);
    const norms = (grid: Matrix[][]): number[][] => grid.map((row) => row.map((m) => l2Norm(m.deltas)));
    return {
      output: value.output,
      loss: value.loss,
      grads: readGrads(this.bindings),
      norms: {
        hiddenGradNorms: norms(u.hidden),
        ...(this.spec.cell === 'lstm' ? { cellGradNorms: norms(u.cells) } : {}),
        inputGradNorms: u.inputs.map((x) => l2Norm(x.deltas)),
      },
    };
  }

  private run(input: Tensor): Unrolled {
    const [batch, steps] = input.shape as [number, number, number];
    if (this.unrolled?.batch !== batch || this.unrolled.steps !== steps) this.unrolled = this.unroll(batch, steps);
    const u = this.unrolled;
    const n = this.spec.inputSize;
    u.inputs.forEach((x, t) => writeColumns(x, input.data, batch, n, steps * n, t * n));
    u.equation.forward();
    return u;
  }

  private unroll(batch: number, steps: number): Unrolled {
    const { spec } = this;
    const eq = new GradEquation();
    const H = spec.hiddenSize;
    const inputs = Array.from({ length: steps }, () => createMatrix(spec.inputSize, batch));
    const hidden: Matrix[][] = [];
    const cells: Matrix[][] = [];
    let below = inputs;
    for (const w of this.layers) {
      // gate pre-activation W_ih x + b_ih + W_hh h + b_hh, in PyTorch's order of terms
      const gate = (g: number, x: Matrix, h: Matrix): Matrix =>
        eq.addBias(eq.add(eq.addBias(eq.multiply(w.ih[g]!, x), w.bih[g]!), eq.multiply(w.hh[g]!, h)), w.bhh[g]!);
      let h = createMatrix(H, batch);
      let c = createMatrix(H, batch);
      const hs: Matrix[] = [];
      const cs: Matrix[] = [];
      for (const x of below) {
        if (spec.cell === 'lstm') {
          const i = eq.sigmoid(gate(0, x, h));
          const f = eq.sigmoid(gate(1, x, h));
          const g = eq.tanh(gate(2, x, h));
          const o = eq.sigmoid(gate(3, x, h));
          c = eq.add(eq.multiplyElement(f, c), eq.multiplyElement(i, g));
          h = eq.multiplyElement(o, eq.tanh(c));
          cs.push(c);
        } else if (spec.cell === 'gru') {
          const r = eq.sigmoid(gate(0, x, h));
          const z = eq.sigmoid(gate(1, x, h));
          const hn = eq.addBias(eq.multiply(w.hh[2]!, h), w.bhh[2]!);
          const n = eq.tanh(eq.add(eq.addBias(eq.multiply(w.ih[2]!, x), w.bih[2]!), eq.multiplyElement(r, hn)));
          // (1 - z) n + z h, written n + z (h - n)
          h = eq.add(n, eq.multiplyElement(z, eq.subtract(h, n)));
        } else {
          h = eq.tanh(gate(0, x, h));
        }
        hs.push(h);
      }
      hidden.push(hs);
      cells.push(cs);
      below = hs;
    }
    const fcW = binding(this.bindings, 'fc.weight').pieces[0]!;
    const fcB = binding(this.bindings, 'fc.bias').pieces[0]!;
    const top = below[below.length - 1]!;
    const output = eq.addBias(eq.multiply(fcW, top), fcB);
    return { batch, steps, equation: eq, inputs, hidden, cells, output };
  }
}
