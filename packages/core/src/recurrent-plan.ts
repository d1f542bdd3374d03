import { gateCount, type CellType, type RecurrentSpec } from './spec.js';

/**
 * A recurrent spec compiled once into what every backend builds: PyTorch's stacked cells with their parameter names,
 * a zero initial state and a Linear readout of the top layer's last h. Backends interpret it with the primitives of
 * `RecurrentPrimitives`; the cell equations are written once, in `runRecurrentPlan`.
 */
export interface RecurrentPlan {
  readonly cell: CellType;
  readonly hiddenSize: number;
  /** Gate blocks per projection in PyTorch's order: LSTM i,f,g,o (4), GRU r,z,n (3), tanh RNN (1). */
  readonly gates: number;
  readonly layers: readonly RecurrentLayerPlan[];
  /** Parameter prefix of the readout Linear (`fc`). */
  readonly head: string;
}

export interface RecurrentLayerPlan {
  readonly index: number;
  /** PyTorch names: `{cell}.weight_ih_l{k}` `[G*H, in]`, `weight_hh_l{k}` `[G*H, H]`, `bias_ih_l{k}`, `bias_hh_l{k}` `[G*H]`. */
  readonly weightIh: string;
  readonly weightHh: string;
  readonly biasIh: string;
  readonly biasHh: string;
}

/**
 * What a backend provides to run a plan on its own values: `T` an elementwise value `[batch, H]` (a tensor, a graph
 * value name, a brain.js matrix), `P` a projection holding all G gate blocks (one `[batch, G*H]` value, or G pieces).
 */
export interface RecurrentPrimitives<T, P> {
  /**
   * `x_t W_ih^T + b_ih` for every timestep of the layer's input: the network's input sequence when `below` is null,
   * else the h_t of the layer below. One call per layer, so a backend may project all timesteps at once.
   */
  projectInputs(layer: RecurrentLayerPlan, below: readonly T[] | null): P[];
  /** `h W_hh^T + b_hh`. */
  projectHidden(layer: RecurrentLayerPlan, h: T): P;
  /** The gate blocks of a projection, in PyTorch's order. */
  split(p: P): T[];
  /**
   * The gate blocks of the sum of two projections, each through its activation (an LSTM's `σ,σ,tanh,σ`, an RNN's
   * `tanh`). One primitive, so a runtime may activate all blocks in one op and split after.
   */
  activateSum(a: P, b: P, activations: readonly GateActivation[]): T[];
  /** A zero state `[batch, H]`. */
  zeros(): T;
  sigmoid(x: T): T;
  tanh(x: T): T;
  mul(a: T, b: T): T;
  sub(a: T, b: T): T;
  /** The elementwise sum of two or more values. */
  sum(terms: readonly T[]): T;
  /** `h W^T + b` with `{name}.weight` and `{name}.bias`: the readout. */
  linear(h: T, name: string): T;
}

export type GateActivation = 'sigmoid' | 'tanh';

/** An LSTM's gates i, f, g, o. */
const LSTM_GATES: readonly GateActivation[] = ['sigmoid', 'sigmoid', 'tanh', 'sigmoid'];

/** Zero values added to every h_t (and an LSTM's c_t) as it is computed, `[layer][t]`: their gradients are dL/dh_t, dL/dc_t. */
export interface RecurrentProbes<T> {
  readonly hidden: readonly (readonly T[])[];
  readonly cell?: readonly (readonly T[])[];
}

export interface RecurrentRun<T> {
  readonly output: T;
  /** h_t per layer and timestep (after its probe). */
  readonly hidden: readonly (readonly T[])[];
  /** An LSTM's c_t per layer and timestep; empty rows for GRU and RNN. */
  readonly cell: readonly (readonly T[])[];
}

export function planRecurrent(spec: Pick<RecurrentSpec, 'cell' | 'hiddenSize' | 'numLayers'>): RecurrentPlan {
  const name = (w: string, k: number): string => `${spec.cell}.${w}_l${k}`;
  return {
    cell: spec.cell,
    hiddenSize: spec.hiddenSize,
    gates: gateCount(spec.cell),
    layers: Array.from({ length: spec.numLayers }, (_, k) => ({
      index: k,
      weightIh: name('weight_ih', k),
      weightHh: name('weight_hh', k),
      biasIh: name('bias_ih', k),
      biasHh: name('bias_hh', k),
    })),
    head: 'fc',
  };
}

interface CellState<T> {
  h: T;
  c: T | undefined;
}

/**
 * One step of a PyTorch cell from the projections `xp` (input side) and `hp` (hidden side). GRU is PyTorch's
 * reset-after form: n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), h' = (1 - z) ⊙ n + z ⊙ h, written n + z ⊙ (h - n).
 */
function cellStep<T, P>(cell: CellType, ops: RecurrentPrimitives<T, P>, xp: P, hp: P, prev: CellState<T>, cellProbe: T | undefined): CellState<T> {
  switch (cell) {
    case 'rnn':
      return { h: ops.activateSum(xp, hp, ['tanh'])[0]!, c: undefined };
    case 'lstm': {
      const [i, f, g, o] = ops.activateSum(xp, hp, LSTM_GATES) as [T, T, T, T];
      const terms = [ops.mul(f, prev.c!), ops.mul(i, g)];
      const c = ops.sum(cellProbe === undefined ? terms : [...terms, cellProbe]);
      return { h: ops.mul(o, ops.tanh(c)), c };
    }
    case 'gru': {
      const [xr, xz, xn] = ops.split(xp) as [T, T, T];
      const [hr, hz, hn] = ops.split(hp) as [T, T, T];
      const r = ops.sigmoid(ops.sum([xr, hr]));
      const z = ops.sigmoid(ops.sum([xz, hz]));
      const n = ops.tanh(ops.sum([xn, ops.mul(r, hn)]));
      return { h: ops.sum([n, ops.mul(z, ops.sub(prev.h, n))]), c: undefined };
    }
  }
}

/**
 * Runs a plan's stacked cells with a backend's primitives from a zero state, without the readout (a layer of its own,
 * such as tfjs' exported PyTorch GRU, needs just the h_t). The zero h_0 is projected like any other (one small product)
 * so that W_hh reaches the loss even when T = 1.
 */
export function runRecurrentLayers<T, P>(plan: RecurrentPlan, ops: RecurrentPrimitives<T, P>, probes?: RecurrentProbes<T>): Omit<RecurrentRun<T>, 'output'> {
  const hidden: T[][] = [];
  const cell: T[][] = [];
  let below: readonly T[] | null = null;
  for (const layer of plan.layers) {
    let state: CellState<T> = { h: ops.zeros(), c: plan.cell === 'lstm' ? ops.zeros() : undefined };
    const hs: T[] = [];
    const cs: T[] = [];
    ops.projectInputs(layer, below).forEach((xp, t) => {
      state = cellStep(plan.cell, ops, xp, ops.projectHidden(layer, state.h), state, probes?.cell?.[layer.index]?.[t]);
      const probe = probes?.hidden[layer.index]?.[t];
      if (probe !== undefined) state.h = ops.sum([state.h, probe]);
      hs.push(state.h);
      if (state.c !== undefined) cs.push(state.c);
    });
    hidden.push(hs);
    cell.push(cs);
    below = hs;
  }
  return { hidden, cell };
}

/** The whole network: the stacked cells, then the readout Linear of the top layer's last h. */
export function runRecurrentPlan<T, P>(plan: RecurrentPlan, ops: RecurrentPrimitives<T, P>, probes?: RecurrentProbes<T>): RecurrentRun<T> {
  const { hidden, cell } = runRecurrentLayers(plan, ops, probes);
  return { output: ops.linear(hidden.at(-1)!.at(-1)!, plan.head), hidden, cell };
}
