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

/** Depth on real digits: plain vs residual convolutional nets (CIFAR layout) on MNIST. */
export interface MnistSettings {
  /** Network depths 6n+2 (n BasicBlocks per stage: 8, 14, 20, 32, ...). */
  depths: number[];
  /** Image side: 14 (2×2 average pooled) or 28. */
  imageSize: 14 | 28;
  batch: number;
  steps: number;
  /** Block norms and the test error are recorded at init and every `reportEvery` steps. */
  reportEvery: number;
  /** Held-out digits the test error is measured on. */
  testSize: number;
  optimizer: OptimizerSpec;
}

export interface SuiteSettings {
  name: SuiteName;
  depth: DepthSettings;
  time: TimeSettings;
  mnist: MnistSettings;
}

const adam = (lr: number): OptimizerSpec => ({ type: 'adam', lr, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 });
/** He et al.'s CIFAR optimizer (SGD with momentum 0.9), without weight decay for these short runs. */
const sgd = (lr: number): OptimizerSpec => ({ type: 'sgd', lr, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0 });

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
    mnist: { depths: [8, 14], imageSize: 14, batch: 8, steps: 2, reportEvery: 2, testSize: 16, optimizer: sgd(0.02) },
  },
  quick: {
    name: 'quick',
    depth: { depths: [4, 16, 32], activations: ['sigmoid', 'relu'], width: 16, batch: 64, steps: 150, reportEvery: 50, optimizer: adam(1e-2) },
    time: { lengths: [10, 30, 50], cells: ['rnn', 'gru', 'lstm'], hiddenSize: 16, numLayers: 1, batch: 32, steps: 150, testSize: 256, optimizer: adam(1e-2), clip: { type: 'norm', maxNorm: 1 } },
    mnist: { depths: [8, 20, 32], imageSize: 14, batch: 16, steps: 30, reportEvery: 10, testSize: 200, optimizer: sgd(0.02) },
  },
  full: {
    name: 'full',
    depth: { depths: [4, 8, 16, 32, 56], activations: ['sigmoid', 'tanh', 'relu'], width: 16, batch: 64, steps: 1500, reportEvery: 250, optimizer: adam(1e-2) },
    time: { lengths: [10, 30, 50, 100, 200], cells: ['rnn', 'gru', 'lstm'], hiddenSize: 32, numLayers: 1, batch: 32, steps: 1000, testSize: 1000, optimizer: adam(1e-2), clip: { type: 'norm', maxNorm: 1 } },
    mnist: { depths: [8, 20, 32], imageSize: 28, batch: 32, steps: 300, reportEvery: 50, testSize: 1000, optimizer: sgd(0.02) },
  },
};
