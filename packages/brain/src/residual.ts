import { countDeadUnits, l2Norm, planResidual, runResidualPlan, type Activation, type Batch, type LossName, type ParamSet, type ResidualSpec, type Tensor } from '@gradscope/core';
import { createMatrix, GradEquation, type Matrix } from './engine.js';
import { lossOfColumns, readColumns, writeColumns, type BrainNetwork, type GradientPass } from './network.js';
import { binding, bindParams, loadParams, readGrads, type ParamBinding } from './params.js';

/** The activations brain.js computes (its engine ops; leaky ReLU from `brain.activation`, slope 0.01). */
export const brainActivations = ['relu', 'tanh', 'sigmoid', 'leakyRelu', 'linear'] as const satisfies readonly Activation[];

interface Built {
  readonly batch: number;
  readonly equation: GradEquation;
  readonly input: Matrix;
  /** h after each block (after the add; after f in a plain net). */
  readonly blockOutputs: readonly Matrix[];
  /** Every activation output inside each block, for the dead-unit count. */
  readonly blockActivations: readonly (readonly Matrix[])[];
  readonly output: Matrix;
}

/**
 * The dense residual network of DESIGN.md (stem Linear+act, blocks `h <- h + f(h)` or `h <- f(h)`, Linear head)
 * as one graph of brain.js's `Equation` ops, one column per example. brain.js's `NeuralNetwork` has no skip
 * connection and no linear head, and its layer API is ~10x slower (README), so its matrix engine does the work.
 */
export class ResidualNetwork implements BrainNetwork {
  private readonly bindings: Map<string, ParamBinding>;
  private built: Built | undefined;

  constructor(readonly spec: ResidualSpec) {
    this.bindings = bindParams(spec);
  }

  setParams(params: ParamSet): void {
    loadParams(this.bindings, params);
  }

  forward(input: Tensor): Tensor {
    return readColumns(this.run(input).output);
  }

  gradients(batch: Batch, loss: LossName): GradientPass {
    const b = this.run(batch.input);
    const value = lossOfColumns(b.output, batch.target, loss);
    b.equation.backward(b.output, value.seed);
    return {
      output: value.output,
      loss: value.loss,
      grads: readGrads(this.bindings),
      norms: {
        blockOutputGradNorms: b.blockOutputs.map((m) => l2Norm(m.deltas)),
        deadUnitFractions: b.blockActivations.map(deadFraction),
      },
    };
  }

  private run(input: Tensor): Built {
    const batch = input.shape[0]!;
    const built = this.built?.batch === batch ? this.built : this.build(batch);
    this.built = built;
    writeColumns(built.input, input.data, batch, this.spec.inputSize);
    built.equation.forward();
    return built;
  }

  private build(batch: number): Built {
    const eq = new GradEquation();
    const input = createMatrix(this.spec.inputSize, batch);
    // Core's residual plan on brain.js's engine ops, one column per example.
    const run = runResidualPlan(planResidual(this.spec), {
      linear: (x, name) => eq.addBias(eq.multiply(binding(this.bindings, `${name}.weight`).pieces[0]!, x), binding(this.bindings, `${name}.bias`).pieces[0]!),
      activate: (x, activation) => activationOp(eq, activation)(x),
      sum: (terms) => terms.slice(1).reduce((acc, t) => eq.add(acc, t), terms[0]!),
    }, input);
    return { batch, equation: eq, input, blockOutputs: run.blockOutputs, blockActivations: run.blockActivations, output: run.output };
  }
}

function activationOp(eq: GradEquation, name: Activation): (m: Matrix) => Matrix {
  switch (name) {
    case 'relu':
      return (m) => eq.relu(m);
    case 'tanh':
      return (m) => eq.tanh(m);
    case 'sigmoid':
      return (m) => eq.sigmoid(m);
    case 'leakyRelu':
      return (m) => eq.leakyRelu(m);
    case 'linear':
      return (m) => m;
    case 'gelu':
      throw new Error('gelu is not a brain.js activation'); // unreachable: createModel checks `supports` first
  }
}

/** Fraction of a block's activation units (over all its layers) that are zero for every example of the batch. */
function deadFraction(acts: readonly Matrix[]): number {
  // One column per example: unit r of example c is weights[r * columns + c].
  const units = acts.reduce((n, m) => n + m.rows, 0);
  const dead = acts.reduce((n, m) => n + countDeadUnits(m.columns, m.rows, (c, r) => m.weights[r * m.columns + c]!), 0);
  return units === 0 ? 0 : dead / units;
}
