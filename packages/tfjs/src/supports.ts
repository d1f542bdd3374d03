import { activations, clipModes, lossNames, optimizerNames, scheduleNames, type Supports } from '@gradscope/core';

/** Everything the tfjs adapter implements, on every tfjs device. */
export const tfjsSupports: Supports = {
  semantics: 'pytorch',
  residual: { variants: ['dense', 'conv'], activations: [...activations] },
  recurrent: { cells: ['lstm', 'gru', 'rnn'] },
  losses: [...lossNames],
  training: true,
  optimizers: [...optimizerNames],
  schedules: [...scheduleNames],
  clipping: [...clipModes],
  report: ['blockOutputGradNorms', 'deadUnitFractions', 'hiddenGradNorms', 'cellGradNorms', 'inputGradNorms'],
  checkpoint: true,
  export: ['tfjs-layers'],
};
