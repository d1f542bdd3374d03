import { clipModes, optimizerNames, scheduleNames, type Supports } from '@gradscope/core';
import { brainActivations } from './residual.js';

/**
 * `faithful` (default): DESIGN.md's networks (PyTorch semantics) computed by brain.js's matrix engine.
 * `stock`: brain.js's own `LSTMTimeStep` / `GRUTimeStep` / `RNNTimeStep` cell equations unchanged (not a standard
 * LSTM; reset-before GRU; ReLU RNN),
 * driven with gradscope's sequence-to-one loss; a different model, so excluded from agreement checks.
 */
export type BrainFlavor = 'faithful' | 'stock';

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

