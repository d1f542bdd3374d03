import type { Activation, CellType, OptimizerSpec, ClipSpec } from '@gradscope/core';

export const suiteNames = ['smoke', 'quick', 'full'] as const;
export type SuiteName = (typeof suiteNames)[number];

export interface DepthSettings {
  depths: number[];
  activations: Activation[];
  width: number;
  batch: number;
  /** Training steps per network (0: norms at initialization only). */
  steps: number;
  /** Block norms are recorded at these training steps as well as at initialization. */
  reportEvery: number;
  optimizer: OptimizerSpec;
}

export interface TimeSettings {
  lengths: number[];
  cells: CellType[];
  hiddenSize: number;
  numLayers: number;
  batch: number;
  steps: number;
  /** Fresh sequences the test MSE is measured on. */
  testSize: number;
  optimizer: OptimizerSpec;
  clip: ClipSpec;
}

export interface SuiteSettings {
  name: SuiteName;
  depth: DepthSettings;
  time: TimeSettings;
}

const adam = (lr: number): OptimizerSpec => ({ type: 'adam', lr, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 });

/**
 * smoke: seconds, for tests. quick (default): norms at init plus at most 200 training steps, T <= 50, about two
 * minutes on 2 cores. full: trains long enough to converge, T up to 200, depths to 56.
 * The adding-problem settings follow LIBRARY-FACTS.md's PyTorch run (Adam 1e-2, clip 1.0), the depth ones the PyTorch
 * spirals run in tools/torch/spirals_plain_vs_residual.py (width 16, batch 64, Adam 1e-2).
 */
export const suites: Record<SuiteName, SuiteSettings> = {
  smoke: {
    name: 'smoke',
    depth: { depths: [4, 16], activations: ['sigmoid', 'relu'], width: 12, batch: 16, steps: 10, reportEvery: 5, optimizer: adam(1e-2) },
    time: { lengths: [10, 30], cells: ['rnn', 'gru', 'lstm'], hiddenSize: 8, numLayers: 1, batch: 16, steps: 10, testSize: 64, optimizer: adam(1e-2), clip: { type: 'norm', maxNorm: 1 } },
  },
  quick: {
    name: 'quick',
    depth: { depths: [4, 16, 32], activations: ['sigmoid', 'relu'], width: 16, batch: 64, steps: 150, reportEvery: 50, optimizer: adam(1e-2) },
    time: { lengths: [10, 30, 50], cells: ['rnn', 'gru', 'lstm'], hiddenSize: 16, numLayers: 1, batch: 32, steps: 150, testSize: 256, optimizer: adam(1e-2), clip: { type: 'norm', maxNorm: 1 } },
  },
  full: {
    name: 'full',
    depth: { depths: [4, 8, 16, 32, 56], activations: ['sigmoid', 'tanh', 'relu'], width: 16, batch: 64, steps: 1500, reportEvery: 250, optimizer: adam(1e-2) },
    time: { lengths: [10, 30, 50, 100, 200], cells: ['rnn', 'gru', 'lstm'], hiddenSize: 32, numLayers: 1, batch: 32, steps: 1000, testSize: 1000, optimizer: adam(1e-2), clip: { type: 'norm', maxNorm: 1 } },
  },
};
