import { activation, recurrent } from 'brain.js';
import type { Matrix } from 'brain.js/dist/recurrent/matrix/index.js';
import type { Equation, IState } from 'brain.js/dist/recurrent/matrix/equation.js';
import { withSeededRandom } from './random.js';

export type { Matrix, Equation };

type MatrixClass = new (rows?: number, columns?: number) => Matrix;
type EquationClass = new () => Equation;

/**
 * brain.js 2.0.0-beta.24 builds its recurrent nets from a `Matrix`/`Equation` engine (forward ops with their
 * backprop) but does not export the two classes; a tiny `RNNTimeStep` constructs them, so take the constructors
 * from one. Seeded, so loading this module does not consume the caller's `Math.random`.
 */
function engineClasses(): { Matrix: MatrixClass; Equation: EquationClass } {
  return withSeededRandom(0, () => {
    const net = new recurrent.RNNTimeStep({ inputSize: 1, hiddenLayers: [1], outputSize: 1 });
    net.initialize();
    net.bindEquation();
    const layer = net.model.hiddenLayers[0] as { bias?: Matrix } | undefined;
    const equation = net.model.equations[0];
    if (!layer?.bias || !equation) throw new Error('brain.js internals changed: no RNNTimeStep hidden bias or equation');
    return { Matrix: layer.bias.constructor as MatrixClass, Equation: equation.constructor as EquationClass };
  });
}

export const { Matrix: BrainMatrix, Equation: BrainEquation } = engineClasses();

export function createMatrix(rows: number, columns: number): Matrix {
  return new BrainMatrix(rows, columns);
}

/** A forward or backprop function of an `Equation` state. */
type Propagate = (product: Matrix, left: Matrix, right: Matrix) => void;

// brain.js's backprop for add, multiplyElement and the activations *assigns* the input's deltas, so a matrix that
// feeds two ops (a bias used at every timestep, h_t used by the next step and the layer above) keeps only the last
// gradient. These accumulate instead; the forward arithmetic stays brain.js's own.
const accumulate = {
  add: ((p, l, r) => {
    for (let i = 0; i < p.deltas.length; i++) {
      l.deltas[i] = l.deltas[i]! + p.deltas[i]!;
      r.deltas[i] = r.deltas[i]! + p.deltas[i]!;
    }
  }) as Propagate,
  multiplyElement: ((p, l, r) => {
    for (let i = 0; i < p.deltas.length; i++) {
      l.deltas[i] = l.deltas[i]! + r.weights[i]! * p.deltas[i]!;
      r.deltas[i] = r.deltas[i]! + l.weights[i]! * p.deltas[i]!;
    }
  }) as Propagate,
  sigmoid: ((p, l) => {
    for (let i = 0; i < p.deltas.length; i++) l.deltas[i] = l.deltas[i]! + activation.sigmoid.measure(p.weights[i]!, p.deltas[i]!);
  }) as Propagate,
  tanh: ((p, l) => {
    for (let i = 0; i < p.deltas.length; i++) l.deltas[i] = l.deltas[i]! + activation.tanh.measure(p.weights[i]!, p.deltas[i]!);
  }) as Propagate,
  relu: ((p, l) => {
    for (let i = 0; i < p.deltas.length; i++) l.deltas[i] = l.deltas[i]! + (l.weights[i]! > 0 ? p.deltas[i]! : 0);
  }) as Propagate,
};

/**
 * brain.js's `Equation` with gradients that accumulate, so it computes exact gradients of any graph, plus the few
 * ops a batched network needs: a bias broadcast over the batch columns, a true subtraction and leaky ReLU.
 * Matrices are `[features, batch]`: one column per example.
 */
export class GradEquation extends BrainEquation {
  override add(left: Matrix, right: Matrix): Matrix {
    return this.withBackprop(super.add(left, right), accumulate.add);
  }

  override multiplyElement(left: Matrix, right: Matrix): Matrix {
    return this.withBackprop(super.multiplyElement(left, right), accumulate.multiplyElement);
  }

  override sigmoid(matrix: Matrix): Matrix {
    return this.withBackprop(super.sigmoid(matrix), accumulate.sigmoid);
  }

  override tanh(matrix: Matrix): Matrix {
    return this.withBackprop(super.tanh(matrix), accumulate.tanh);
  }

  override relu(matrix: Matrix): Matrix {
    return this.withBackprop(super.relu(matrix), accumulate.relu);
  }

  /** `left - right` (brain.js's own `subtract` computes `1 - left + right` and has no gradient). */
  override subtract(left: Matrix, right: Matrix): Matrix {
    if (left.weights.length !== right.weights.length) throw new Error('misaligned matrices');
    return this.push('subtract', createMatrix(left.rows, left.columns), left, right,
      (p, l, r) => {
        for (let i = 0; i < p.weights.length; i++) p.weights[i] = l.weights[i]! - r.weights[i]!;
      },
      (p, l, r) => {
        for (let i = 0; i < p.deltas.length; i++) {
          l.deltas[i] = l.deltas[i]! + p.deltas[i]!;
          r.deltas[i] = r.deltas[i]! - p.deltas[i]!;
        }
      });
  }

  /** `matrix + bias` with a `[rows, 1]` bias added to every column (example). */
  addBias(matrix: Matrix, bias: Matrix): Matrix {
    if (bias.rows !== matrix.rows || bias.columns !== 1) throw new Error('misaligned bias');
    return this.push('addBias', createMatrix(matrix.rows, matrix.columns), matrix, bias,
      (p, m, b) => {
        const cols = m.columns;
        for (let r = 0; r < m.rows; r++) {
          const br = b.weights[r]!;
          for (let c = 0, i = r * cols; c < cols; c++, i++) p.weights[i] = m.weights[i]! + br;
        }
      },
      (p, m, b) => {
        const cols = m.columns;
        for (let r = 0; r < m.rows; r++) {
          let s = 0;
          for (let c = 0, i = r * cols; c < cols; c++, i++) {
            m.deltas[i] = m.deltas[i]! + p.deltas[i]!;
            s += p.deltas[i]!;
          }
          b.deltas[r] = b.deltas[r]! + s;
        }
      });
  }

  /** Leaky ReLU with brain.js's own activation (slope 0.01, as PyTorch's default). */
  leakyRelu(matrix: Matrix): Matrix {
    const { activate, measure } = activation.leakyRelu;
    return this.push('leakyRelu', createMatrix(matrix.rows, matrix.columns), matrix, undefined,
      (p, l) => {
        for (let i = 0; i < p.weights.length; i++) p.weights[i] = activate(l.weights[i]!);
      },
      (p, l) => {
        // brain.js's measure looks at its first argument's sign: the pre-activation.
        for (let i = 0; i < p.deltas.length; i++) l.deltas[i] = l.deltas[i]! + measure(l.weights[i]!, p.deltas[i]!);
      });
  }

  /** Runs every op forward (inputs are matrices whose weights the caller has filled). */
  forward(): void {
    this.runIndex(0);
  }

  /**
   * Backward pass from `output`, whose gradient the caller sets through `seed`: every delta in the graph is
   * zeroed first, because brain.js's forward pass leaves stale deltas on some products and on biases.
   */
  backward(output: Matrix, seed: (deltas: Float32Array) => void): void {
    for (const s of this.states) {
      s.product.deltas.fill(0);
      s.left?.deltas.fill(0);
      s.right?.deltas.fill(0);
    }
    seed(output.deltas);
    this.backpropagate();
  }

  private withBackprop(product: Matrix, backprop: Propagate): Matrix {
    const state = this.states[this.states.length - 1];
    if (state?.product !== product) throw new Error('brain.js internals changed: op did not record its state');
    state.backpropagationFn = backprop;
    return product;
  }

  private push(name: string, product: Matrix, left: Matrix, right: Matrix | undefined, forwardFn: Propagate, backpropagationFn: Propagate): Matrix {
    const state: IState = { name, product, left, forwardFn, backpropagationFn };
    if (right) state.right = right;
    this.states.push(state);
    return product;
  }
}
