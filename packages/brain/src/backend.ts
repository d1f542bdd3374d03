import {
  assertSpecSupported,
  BACKEND_SPECIFICATION_VERSION,
  DisposedError,
  validateParams,
  clipModes,
  optimizerNames,
  scheduleNames,
  type Backend,
  type Model,
  type NetworkSpec,
  type ParamSet,
  type RuntimeInfo,
  type Supports,
} from '@gradscope/core';
import type { BrainNetwork } from './network.js';
import { RecurrentNetwork } from './recurrent.js';
import { brainActivations, ResidualNetwork } from './residual.js';
import { StockRecurrentNetwork } from './stock.js';
import { BrainModel } from './train.js';

/**
 * `faithful` (default): DESIGN.md's networks (PyTorch semantics) computed by brain.js's matrix engine.
 * `stock`: brain.js's own `LSTMTimeStep` / `GRUTimeStep` / `RNNTimeStep` cell equations unchanged (not a standard
 * LSTM; reset-before GRU; ReLU RNN),
 * driven with gradscope's sequence-to-one loss; a different model, so excluded from agreement checks.
 */
export type BrainFlavor = 'faithful' | 'stock';

export interface BrainBackendOptions {
  readonly flavor?: BrainFlavor;
}

/** brain.js version this adapter is written and tested against (its internals are used, so it is pinned). */
export const BRAIN_JS_VERSION = '2.0.0-beta.24';

const training = {
  losses: ['mse', 'crossEntropy'],
  training: true,
  optimizers: optimizerNames,
  schedules: scheduleNames,
  clipping: clipModes,
  checkpoint: true,
  export: [],
} as const;

/** What each flavor implements; the conformance suite gates its sections on this. */
export const brainSupports: Record<BrainFlavor, Supports> = {
  faithful: {
    semantics: 'pytorch',
    residual: { variants: ['dense'], activations: brainActivations },
    recurrent: { cells: ['lstm', 'gru', 'rnn'] },
    ...training,
    report: ['blockOutputGradNorms', 'deadUnitFractions', 'hiddenGradNorms', 'cellGradNorms', 'inputGradNorms'],
  },
  stock: {
    semantics: 'brainjs-stock',
    residual: { variants: [], activations: [] },
    recurrent: { cells: ['lstm', 'gru', 'rnn'] },
    ...training,
    report: ['hiddenGradNorms', 'cellGradNorms', 'inputGradNorms'],
  },
};

/** The brain.js backend. */
export function createBrainBackend(options: BrainBackendOptions = {}): Backend {
  const flavor = options.flavor ?? 'faithful';
  const name = flavor === 'faithful' ? 'brain' : 'brain-stock';
  const supports = brainSupports[flavor];
  const runtime: RuntimeInfo = { name: 'brain.js', version: BRAIN_JS_VERSION, device: 'cpu (js)' };
  const models = new Set<Model>();
  let disposed = false;
  const info = { name, supports };

  return {
    specificationVersion: BACKEND_SPECIFICATION_VERSION,
    name,
    runtime,
    supports,
    async createModel(spec: NetworkSpec, params: ParamSet): Promise<Model> {
      if (disposed) throw new DisposedError(`${name} backend`);
      assertSpecSupported(info, spec);
      const valid = validateParams(spec, params);
      const network: BrainNetwork =
        spec.kind === 'residual' ? new ResidualNetwork(spec) : flavor === 'stock' ? new StockRecurrentNetwork(spec) : new RecurrentNetwork(spec);
      const model = new BrainModel(spec, info, network, valid, (m) => models.delete(m));
      models.add(model);
      return model;
    },
    async dispose(): Promise<void> {
      disposed = true;
      await Promise.all([...models].map((m) => m.dispose()));
    },
  };
}
