import { l2Norm, type Activation, type Batch, type LossName, type ParamSet, type ResidualSpec, type Tensor } from '@gradscope/core';
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
  readonly blockOutputs: Matrix[];
  /** Every activation output inside each block, for the dead-unit count. */
  readonly blockActivations: Matrix[][];
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
    const act = activationOp(eq, this.spec.block.activation);
    const linear = (name: string, x: Matrix): Matrix =>
      eq.addBias(eq.multiply(binding(this.bindings, `${name}.weight`).pieces[0]!, x), binding(this.bindings, `${name}.bias`).pieces[0]!);
    const input = createMatrix(this.spec.inputSize, batch);
    let h = act(linear('stem', input));
    const blockOutputs: Matrix[] = [];
    const blockActivations: Matrix[][] = [];
    for (let i = 0; i < this.spec.depth; i++) {
      let f = h;
      const acts: Matrix[] = [];
      for (let j = 0; j < this.spec.block.layers; j++) {
        f = act(linear(`blocks.${i}.${j}`, f));
        acts.push(f);
      }
      h = this.spec.block.skip === 'identity' ? eq.add(h, f) : f;
      blockOutputs.push(h);
      blockActivations.push(acts);
    }
    return { batch, equation: eq, input, blockOutputs, blockActivations, output: linear('head', h) };
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
  let units = 0;
  let dead = 0;
  for (const m of acts) {
    for (let r = 0; r < m.rows; r++) {
      units++;
      let allZero = true;
      for (let c = 0, i = r * m.columns; c < m.columns; c++, i++) {
        if (m.weights[i] !== 0) {
          allZero = false;
          break;
        }
      }
      if (allZero) dead++;
    }
  }
  return units === 0 ? 0 : dead / units;
}
