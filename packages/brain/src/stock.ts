import { recurrent } from 'brain.js';
import { computeLoss, paramShapes, sizeOf, type Batch, type LossName, type ParamSet, type RecurrentSpec, type Tensor } from '@gradscope/core';
import { BrainEquation, createMatrix, type Equation, type Matrix } from './engine.js';
import type { BrainNetwork, GradientPass } from './network.js';
import { withSeededRandom } from './random.js';

type StockNet = InstanceType<typeof recurrent.LSTMTimeStep> | InstanceType<typeof recurrent.GRUTimeStep> | InstanceType<typeof recurrent.RNNTimeStep>;
type HiddenLayer = Record<string, Matrix>;

/** brain.js's per-gate matrices in PyTorch's gate order (LSTM `i,f,g,o`; GRU `r,z,n`; its RNN has a single gate). */
const gateMatrices = {
  lstm: [
    ['inputMatrix', 'inputHidden', 'inputBias'],
    ['forgetMatrix', 'forgetHidden', 'forgetBias'],
    ['cellActivationMatrix', 'cellActivationHidden', 'cellActivationBias'],
    ['outputMatrix', 'outputHidden', 'outputBias'],
  ],
  gru: [
    ['resetGateInputMatrix', 'resetGateHiddenMatrix', 'resetGateBias'],
    ['updateGateInputMatrix', 'updateGateHiddenMatrix', 'updateGateBias'],
    ['cellWriteInputMatrix', 'cellWriteHiddenMatrix', 'cellWriteBias'],
  ],
  rnn: [['weight', 'transition', 'bias']],
} as const;

interface Unrolled {
  readonly steps: number;
  readonly equations: Equation[];
  readonly inputs: Matrix[];
  readonly hidden: Matrix[][];
  /** brain.js's LSTM "cell" `f ⊙ h_{t-1} + i ⊙ g` per layer and step. */
  readonly cells: Matrix[][];
  readonly output: Matrix;
}

/**
 * brain.js's own `LSTMTimeStep` / `GRUTimeStep` / `RNNTimeStep` cells, unchanged: their hidden-layer matrices and
 * their `getEquation` (brain.js's LSTM keeps no separate cell state; its GRU applies the reset gate before the
 * recurrent matrix and passes no gradient through `1 - z`; its RNN is ReLU; its add/multiplyElement backprop
 * overwrites instead of accumulating). Stock `train()` only predicts the next step, so gradscope drives the cells
 * with its own sequence-to-one loss: a Linear readout on the last step (brain.js's `outputConnector`, `output`),
 * one example at a time as brain.js works, gradients summed over the batch of the batch-mean loss.
 *
 * PyTorch's two biases map to brain.js's one per gate as their sum; both receive its gradient.
 */
export class StockRecurrentNetwork implements BrainNetwork {
  private readonly net: StockNet;
  private readonly layers: HiddenLayer[];
  private readonly gates: readonly (readonly [string, string, string])[];
  private unrolled: Unrolled | undefined;

  constructor(readonly spec: RecurrentSpec) {
    const options = { inputSize: spec.inputSize, hiddenLayers: Array.from({ length: spec.numLayers }, () => spec.hiddenSize), outputSize: spec.outputSize };
    // Construction draws random weights; seeded, and every weight is replaced by setParams right after.
    this.net = withSeededRandom(0, () => {
      const net =
        spec.cell === 'lstm' ? new recurrent.LSTMTimeStep(options) : spec.cell === 'gru' ? new recurrent.GRUTimeStep(options) : new recurrent.RNNTimeStep(options);
      net.initialize();
      return net;
    });
    this.layers = this.net.model.hiddenLayers as unknown as HiddenLayer[];
    this.gates = gateMatrices[spec.cell];
  }

  setParams(params: ParamSet): void {
    const { cell, hiddenSize: H } = this.spec;
    this.layers.forEach((layer, k) => {
      const p = (n: string): Float32Array => params[`${cell}.${n}_l${k}`]!.data;
      const [wih, whh, bih, bhh] = [p('weight_ih'), p('weight_hh'), p('bias_ih'), p('bias_hh')];
      this.gates.forEach(([ih, hh, bias], g) => {
        const inF = layer[ih]!.columns;
        layer[ih]!.weights.set(wih.subarray(g * H * inF, (g + 1) * H * inF));
        layer[hh]!.weights.set(whh.subarray(g * H * H, (g + 1) * H * H));
        const b = layer[bias]!.weights;
        for (let r = 0; r < H; r++) b[r] = bih[g * H + r]! + bhh[g * H + r]!;
      });
    });
    this.net.model.outputConnector.weights.set(params['fc.weight']!.data);
    this.net.model.output.weights.set(params['fc.bias']!.data);
  }

  forward(input: Tensor): Tensor {
    const [batch, steps] = input.shape as [number, number, number];
    const u = this.unroll(steps);
    const out = new Float32Array(batch * this.spec.outputSize);
    for (let b = 0; b < batch; b++) out.set(this.runExample(u, input, b), b * this.spec.outputSize);
    return { shape: [batch, this.spec.outputSize], data: out };
  }

  gradients(batch: Batch, loss: LossName): GradientPass {
    const { input, target } = batch;
    const [B, steps] = input.shape as [number, number, number];
    const { cell, numLayers, hiddenSize: H, outputSize } = this.spec;
    const u = this.unroll(steps);
    const shapes = paramShapes(this.spec);
    const grads = new Map(shapes.map(({ name, shape }) => [name, new Float64Array(sizeOf(shape))]));
    const add = (name: string, offset: number, from: Float32Array): void => {
      const g = grads.get(name)!;
      for (let i = 0; i < from.length; i++) g[offset + i] = g[offset + i]! + from[i]!;
    };

    const hiddenSq = Array.from({ length: numLayers }, () => new Float64Array(steps));
    const cellSq = Array.from({ length: numLayers }, () => new Float64Array(steps));
    const inputSq = new Float64Array(steps);
    const output = new Float32Array(B * outputSize);
    let lossSum = 0;
    for (let b = 0; b < B; b++) {
      const y = this.runExample(u, input, b);
      output.set(y, b * outputSize);
      const t = loss === 'mse' ? target.data.subarray(b * outputSize, (b + 1) * outputSize) : target.data.subarray(b, b + 1);
      const value = computeLoss(loss, y, t, 1);
      lossSum += value.loss;
      // the batch-mean loss: each example's gradient is its own loss gradient over B
      for (let i = 0; i < outputSize; i++) u.output.deltas[i] = value.grad[i]! / B;
      for (let e = u.equations.length - 1; e >= 0; e--) u.equations[e]!.backpropagate();

      this.layers.forEach((layer, k) => {
        this.gates.forEach(([ih, hh, bias], g) => {
          add(`${cell}.weight_ih_l${k}`, g * layer[ih]!.weights.length, layer[ih]!.deltas);
          add(`${cell}.weight_hh_l${k}`, g * H * H, layer[hh]!.deltas);
          add(`${cell}.bias_ih_l${k}`, g * H, layer[bias]!.deltas);
          add(`${cell}.bias_hh_l${k}`, g * H, layer[bias]!.deltas);
        });
      });
      add('fc.weight', 0, this.net.model.outputConnector.deltas);
      add('fc.bias', 0, this.net.model.output.deltas);
      for (let k = 0; k < numLayers; k++) {
        for (let s = 0; s < steps; s++) {
          hiddenSq[k]![s] = hiddenSq[k]![s]! + squares(u.hidden[k]![s]!.deltas);
          if (cell === 'lstm') cellSq[k]![s] = cellSq[k]![s]! + squares(u.cells[k]![s]!.deltas);
        }
      }
      for (let s = 0; s < steps; s++) inputSq[s] = inputSq[s]! + squares(u.inputs[s]!.deltas);
    }
    const gradSet: ParamSet = {};
    for (const { name, shape } of shapes) gradSet[name] = { shape: [...shape], data: Float32Array.from(grads.get(name)!) };
    const sqrtGrid = (grid: Float64Array[]): number[][] => grid.map((row) => Array.from(row, Math.sqrt));
    return {
      output: { shape: [B, outputSize], data: output },
      loss: lossSum / B,
      grads: gradSet,
      norms: {
        hiddenGradNorms: sqrtGrid(hiddenSq),
        ...(cell === 'lstm' ? { cellGradNorms: sqrtGrid(cellSq) } : {}),
        inputGradNorms: Array.from(inputSq, Math.sqrt),
      },
    };
  }

  /** Forward pass of one example through every step; returns the last step's readout. */
  private runExample(u: Unrolled, input: Tensor, b: number): Float32Array {
    const n = this.spec.inputSize;
    u.inputs.forEach((x, t) => x.weights.set(input.data.subarray((b * u.steps + t) * n, (b * u.steps + t + 1) * n)));
    for (const eq of u.equations) eq.runIndex(0);
    return u.output.weights.slice();
  }

  /** One brain.js `Equation` per timestep, chained through each layer's previous output, as `bindEquation` does. */
  private unroll(steps: number): Unrolled {
    if (this.unrolled?.steps === steps) return this.unrolled;
    const { net } = this;
    const equations: Equation[] = [];
    const inputs: Matrix[] = [];
    const hidden: Matrix[][] = this.layers.map(() => []);
    const cells: Matrix[][] = this.layers.map(() => []);
    let previous = net.initialLayerInputs;
    let top: Matrix | undefined;
    for (let t = 0; t < steps; t++) {
      const eq = new BrainEquation();
      const x = createMatrix(this.spec.inputSize, 1);
      inputs.push(x);
      let below = x;
      const outputs: Matrix[] = [];
      this.layers.forEach((layer, k) => {
        below = net.getEquation(eq, below, previous[k]!, layer);
        outputs.push(below);
        hidden[k]!.push(below);
        if (this.spec.cell === 'lstm') cells[k]!.push(lstmCell(eq));
      });
      previous = outputs;
      top = below;
      if (t === steps - 1) {
        const output = eq.add(eq.multiply(net.model.outputConnector, top), net.model.output);
        equations.push(eq);
        this.unrolled = { steps, equations, inputs, hidden, cells, output };
        return this.unrolled;
      }
      equations.push(eq);
    }
    throw new Error('a sequence needs at least one step'); // unreachable: checkInput requires T >= 1
  }
}

/** brain.js's LSTM equation ends `multiplyElement(outputGate, tanh(cell))`: the cell is the tanh's input. */
function lstmCell(eq: Equation): Matrix {
  const state = eq.states[eq.states.length - 2];
  if (state?.name !== 'tanh' || !state.left) throw new Error('brain.js internals changed: LSTM equation does not end in tanh(cell)');
  return state.left;
}

function squares(a: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return s;
}
