import type { Activation, CellType, ClipSpec, InitScheme, OptimizerSpec } from '@gradscope/core';

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
  /** Initialization scheme of every network (default: PyTorch's). The web page lets a user pick it. */
  init?: InitScheme;
}

/** One recurrent network of the time experiment: a cell, and for an LSTM how its gate biases start. */
export interface TimeVariant {
  cell: CellType;
  /** LSTM only; `chrono` with `tMax: 'T'` takes the run's sequence length as T_max. Default: PyTorch's init. */
  forgetGate?: { type: 'constant'; bias: number } | { type: 'chrono'; tMax: number | 'T' };
}

export interface TimeSettings {
  lengths: number[];
  variants: TimeVariant[];
  /** Runs per network with seeds seed, seed+1, ...: the claim is about most seeds, not one lucky draw. */
  seeds: number;
  hiddenSize: number;
  numLayers: number;
  batch: number;
  steps: number;
  /** Fresh sequences the test MSE is measured on. */
  testSize: number;
  /** Per-timestep gradients of the probe batch and the test MSE are recorded at init and every `reportEvery` steps. */
  reportEvery: number;
  optimizer: OptimizerSpec;
  clip: ClipSpec;
}

/** The other three cures: initialization and activation on a deep plain net, and gradient clipping. */
export interface CuresSettings {
  init: {
    depth: number;
    width: number;
    batch: number;
    steps: number;
    activations: Activation[];
    schemes: InitScheme[];
    optimizer: OptimizerSpec;
  };
  clipping: {
    /** A tanh RNN whose orthogonal recurrent weights are scaled by `recurrentScale` (> 1: gradients explode). */
    T: number;
    hiddenSize: number;
    recurrentScale: number;
    batch: number;
    steps: number;
    optimizer: OptimizerSpec;
    clips: ClipSpec[];
  };
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
  /** `web`: settings the web page put together from its controls (in a results.json it wrote). */
  name: SuiteName | 'web';
  /**
   * Without `--backends`, the suite runs on the first of these that loads instead of on every adapter. The full suite
   * trains to convergence (about an hour on the fastest runtime here); agreement between runtimes is the quick suite's.
   */
  preferredBackends?: string[];
  depth: DepthSettings;
  time: TimeSettings;
  mnist: MnistSettings;
  cures: CuresSettings;
}

const adam = (lr: number): OptimizerSpec => ({ type: 'adam', lr, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 });
/** He et al.'s CIFAR optimizer (SGD with momentum 0.9), without weight decay for these short runs. */
const sgd = (lr: number, momentum = 0.9): OptimizerSpec => ({ type: 'sgd', lr, momentum, dampening: 0, nesterov: false, weightDecay: 0 });
const chrono: TimeVariant = { cell: 'lstm', forgetGate: { type: 'chrono', tMax: 'T' } };
const initSchemesShown: InitScheme[] = ['pytorch', 'xavier', 'kaiming', 'orthogonal', 'normal'];
const clips: ClipSpec[] = [{ type: 'norm', maxNorm: 1 }, { type: 'value', clipValue: 0.1 }];
/**
 * Scaled-up recurrent weights and a large plain-SGD step: without clipping the gradient norm passes 1e19 and the loss
 * overflows by step ~25 on every runtime and seed. With lr 0.1 it took 60-90 steps, long enough for the rounding
 * differences an exploding net amplifies to send one runtime's run into a basin where it never overflowed.
 */
const exploding = (steps: number): CuresSettings['clipping'] => ({ T: 30, hiddenSize: 16, recurrentScale: 1.5, batch: 32, steps, optimizer: sgd(0.3, 0), clips });

/**
 * smoke: seconds, for tests. quick (default): norms at init and during training, the adding problem up to T = 50
 * trained until gates pay off (400 steps), a few minutes on 2 cores. full: trains long enough to converge, T up to 200
 * with 3 seeds, depths to 56.
 * The adding-problem settings follow LIBRARY-FACTS.md's PyTorch runs (Adam 1e-2, clip 1.0, chrono init with T_max = T),
 * the depth ones the PyTorch spirals run in tools/torch/spirals_plain_vs_residual.py (width 16, batch 64, Adam 1e-2).
 */
export const suites: Record<SuiteName, SuiteSettings> = {
  smoke: {
    name: 'smoke',
    depth: { depths: [4, 16], activations: ['sigmoid', 'relu'], width: 12, batch: 16, steps: 10, reportEvery: 5, optimizer: adam(1e-2) },
    time: { lengths: [10, 30], variants: [{ cell: 'rnn' }, { cell: 'gru' }, chrono], seeds: 1, hiddenSize: 8, numLayers: 1, batch: 16, steps: 10, testSize: 64, reportEvery: 5, optimizer: adam(1e-2), clip: { type: 'norm', maxNorm: 1 } },
    mnist: { depths: [8, 14], imageSize: 14, batch: 8, steps: 2, reportEvery: 2, testSize: 16, optimizer: sgd(0.02) },
    cures: {
      init: { depth: 8, width: 8, batch: 16, steps: 5, activations: ['sigmoid', 'relu'], schemes: ['pytorch', 'kaiming', 'normal'], optimizer: adam(1e-2) },
      clipping: { ...exploding(5), T: 10, hiddenSize: 8 },
    },
  },
  quick: {
    name: 'quick',
    depth: { depths: [4, 16, 32], activations: ['sigmoid', 'relu'], width: 16, batch: 64, steps: 150, reportEvery: 50, optimizer: adam(1e-2) },
    time: { lengths: [10, 50], variants: [{ cell: 'rnn' }, { cell: 'gru' }, chrono], seeds: 1, hiddenSize: 16, numLayers: 1, batch: 32, steps: 400, testSize: 256, reportEvery: 50, optimizer: adam(1e-2), clip: { type: 'norm', maxNorm: 1 } },
    mnist: { depths: [8, 32], imageSize: 14, batch: 16, steps: 50, reportEvery: 10, testSize: 200, optimizer: sgd(0.02) },
    cures: {
      init: { depth: 32, width: 16, batch: 64, steps: 100, activations: ['sigmoid', 'tanh', 'relu'], schemes: initSchemesShown, optimizer: adam(1e-2) },
      clipping: exploding(100),
    },
  },
  full: {
    name: 'full',
    preferredBackends: ['onnx-node', 'onnx'],
    depth: { depths: [4, 8, 16, 32, 56], activations: ['sigmoid', 'tanh', 'relu'], width: 16, batch: 64, steps: 1500, reportEvery: 250, optimizer: adam(1e-2) },
    time: {
      lengths: [50, 100, 200],
      variants: [{ cell: 'rnn' }, { cell: 'gru' }, { cell: 'lstm' }, { cell: 'lstm', forgetGate: { type: 'constant', bias: 1 } }, chrono],
      seeds: 3,
      hiddenSize: 32,
      numLayers: 1,
      batch: 32,
      steps: 1000,
      testSize: 1000,
      reportEvery: 50,
      optimizer: adam(1e-2),
      clip: { type: 'norm', maxNorm: 1 },
    },
    mnist: { depths: [8, 20, 32], imageSize: 28, batch: 32, steps: 300, reportEvery: 50, testSize: 1000, optimizer: sgd(0.02) },
    cures: {
      init: { depth: 56, width: 64, batch: 64, steps: 1000, activations: ['sigmoid', 'tanh', 'relu'], schemes: initSchemesShown, optimizer: adam(1e-2) },
      clipping: exploding(300),
    },
  },
};
