import { activations, cellTypes, clipModes, lossNames, optimizerNames, scheduleNames, type Supports } from '@gradscope/core';

/** What the onnx backend implements; the conformance suite gates its sections on this. */
export const onnxSupports: Supports = {
  semantics: 'pytorch',
  residual: { variants: ['dense', 'conv'], activations },
  recurrent: { cells: cellTypes },
  losses: lossNames,
  training: true,
  optimizers: optimizerNames,
  schedules: scheduleNames,
  clipping: clipModes,
  report: ['blockOutputGradNorms', 'deadUnitFractions', 'hiddenGradNorms', 'cellGradNorms', 'inputGradNorms'],
  checkpoint: true,
  export: ['onnx'],
};
