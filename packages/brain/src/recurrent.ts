import { l2Norm, planRecurrent, runRecurrentPlan, type Batch, type LossName, type ParamSet, type RecurrentPlan, type RecurrentSpec, type Tensor } from '@gradscope/core';
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
  readonly hidden: readonly (readonly Matrix[])[];
  /** c_t per layer and step (LSTM only). */
  readonly cells: readonly (readonly Matrix[])[];
  readonly output: Matrix;
}

/**
 * PyTorch's stacked LSTM / GRU / tanh RNN with a Linear readout of the top layer's last step, unrolled on
 * brain.js's recurrent `Equation` engine (its multiply, add, sigmoid, tanh, multiplyElement), one column per
 * example. Gates are PyTorch's: LSTM `i,f,g,o` with a separate cell state; GRU `r,z,n`, reset applied to
 * `W_hn h + b_hn`; the RNN is tanh. Loss on the last step only; gradients accumulate over timesteps.
 */
export class RecurrentNetwork implements BrainNetwork {
  private readonly bindings: Map<string, ParamBinding>;
  private readonly plan: RecurrentPlan;
  private unrolled: Unrolled | undefined;

  constructor(readonly spec: RecurrentSpec) {
    this.bindings = bindParams(spec);
    this.plan = planRecurrent(spec);
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
    const norms = (grid: Unrolled['hidden']): number[][] => grid.map((row) => row.map((m) => l2Norm(m.deltas)));
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

  /** Core's recurrent plan on the Equation engine: a projection is the G per-gate matrices `W x + b`, `[H, batch]` each. */
  private unroll(batch: number, steps: number): Unrolled {
    const { spec } = this;
    const eq = new GradEquation();
    const pieces = (name: string): readonly Matrix[] => binding(this.bindings, name).pieces;
    const project = (w: readonly Matrix[], b: readonly Matrix[], v: Matrix): Matrix[] => w.map((m, g) => eq.addBias(eq.multiply(m, v), b[g]!));
    const inputs = Array.from({ length: steps }, () => createMatrix(spec.inputSize, batch));
    const run = runRecurrentPlan<Matrix, Matrix[]>(this.plan, {
      projectInputs: (layer, below) => (below ?? inputs).map((x) => project(pieces(layer.weightIh), pieces(layer.biasIh), x)),
      projectHidden: (layer, h) => project(pieces(layer.weightHh), pieces(layer.biasHh), h),
      split: (p) => p,
      activateSum: (a, b, acts) => a.map((m, g) => (acts[g] === 'sigmoid' ? eq.sigmoid(eq.add(m, b[g]!)) : eq.tanh(eq.add(m, b[g]!)))),
      zeros: () => createMatrix(spec.hiddenSize, batch),
      sigmoid: (v) => eq.sigmoid(v),
      tanh: (v) => eq.tanh(v),
      mul: (a, b) => eq.multiplyElement(a, b),
      sub: (a, b) => eq.subtract(a, b),
      sum: (terms) => terms.slice(1).reduce((acc, t) => eq.add(acc, t), terms[0]!),
      linear: (h, name) => eq.addBias(eq.multiply(pieces(`${name}.weight`)[0]!, h), pieces(`${name}.bias`)[0]!),
    });
    return { batch, steps, equation: eq, inputs, hidden: run.hidden, cells: run.cell, output: run.output };
  }
}
