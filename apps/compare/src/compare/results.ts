import type { CellType, Activation, InitScheme, ModelSpec, RuntimeInfo } from '@gradscope/core';
import type { SuiteSettings } from './suites.js';
import type { Experiment } from './workloads.js';

/** Block-output gradient norms recorded at one training step (0 = initialization, before any update). */
export interface BlockNormSnapshot {
  step: number;
  norms: number[];
}

/** One plain or residual dense network trained on one backend. */
export interface DepthRun {
  backend: string;
  architecture: 'plain' | 'residual';
  activation: Activation;
  depth: number;
  spec: ModelSpec;
  /** ||dL/d(block output)|| for blocks 0..depth-1 at initialization and every `reportEvery` steps. */
  blockNorms: BlockNormSnapshot[];
  /** Fraction of always-zero units per block at initialization, where the backend reports it. */
  deadUnitFractions?: number[];
  /** Training loss after each step (index 0 is step 1). */
  loss: number[];
}

/** Per-timestep gradient norms of the probe batch at one training step (0 = initialization), top layer. */
export interface TimeGradSnapshot {
  step: number;
  /** Total ||dL/dh_t|| for t = 0..T-1. */
  hidden: number[];
  /** LSTM: total ||dL/dc_t|| for t = 0..T-1. */
  cell?: number[];
}

/** One recurrent network on the adding problem with sequence length T, on one backend. */
export interface TimeRun {
  backend: string;
  cell: CellType;
  /** LSTM gate-bias init: `pytorch`, `bias:<b>` (constant forget bias) or `chrono:<tMax>` (Tallec & Ollivier). */
  forgetGate: string;
  /** `lstm chrono:50`, or `lstm chrono:50 (brain.js stock)` for a model that is not PyTorch's cell. */
  label: string;
  T: number;
  /** Seed of the initial weights and of the data. */
  seed: number;
  spec: ModelSpec;
  /** Total ||dL/dh_t|| at initialization, `[numLayers][T]`; the report plots the top layer. */
  hiddenGradNorms: number[][];
  /** LSTM: total ||dL/dc_t|| at initialization, `[numLayers][T]`. */
  cellGradNorms?: number[][];
  /** ||dL/dx_t|| at initialization, `[T]`. */
  inputGradNorms?: number[];
  /** The top layer's per-timestep norms at init and every `reportEvery` training steps: how the path through time opens. */
  gradSnapshots: TimeGradSnapshot[];
  loss: number[];
  /** MSE on fresh test sequences after training; predicting 1.0 scores 1/6. */
  testMse: number;
  /** Test MSE at init and every `reportEvery` steps. */
  testMseCurve: { step: number; mse: number }[];
}

/** A deep plain dense net with one initialization scheme and activation (the init × activation cure). */
export interface InitCureRun {
  backend: string;
  scheme: InitScheme;
  activation: Activation;
  depth: number;
  /** ||dL/d(block output)|| for blocks 0..depth-1 at initialization. */
  blockNorms: number[];
  loss: number[];
  /** The step at which loss or gradients stopped being finite (training ended there). */
  nonFiniteAt?: number;
}

/** A tanh RNN with exploding gradients trained with one clip setting (`none`, `norm:1`, `value:0.1`). */
export interface ClipCureRun {
  backend: string;
  clip: string;
  /** Total gradient norm of every step, before clipping. */
  gradNorm: number[];
  loss: number[];
  nonFiniteAt?: number;
}

/** Test error and loss on the held-out digits at one training step (0 = initialization). */
export interface TestPoint {
  step: number;
  /** Fraction of test digits misclassified, with BatchNorm in eval mode (running statistics). */
  error: number;
  /** Mean cross-entropy on the test digits. */
  loss: number;
}

/** One plain or residual convolutional network trained on MNIST on one backend. */
export interface MnistRun {
  backend: string;
  architecture: 'plain' | 'residual';
  depth: number;
  spec: ModelSpec;
  /** ||dL/d(block output)|| for every BasicBlock at initialization and every `reportEvery` steps. */
  blockNorms: BlockNormSnapshot[];
  /**
   * Per BasicBlock at initialization, the fraction of the units (channel, y, x) of its two ReLUs that are zero for
   * every probe example, where the backend reports it.
   */
  deadUnitFractions?: number[];
  /** Training loss after each step (index 0 is step 1). */
  loss: number[];
  test: TestPoint[];
}

/** Final training loss by depth for one architecture on one backend, and whether it grows with depth. */
export interface DegradationRow {
  backend: string;
  architecture: 'plain' | 'residual';
  depths: number[];
  /** Mean training loss over the last `window` steps, per depth. */
  finalLoss: number[];
  /** Test error after training, per depth. */
  finalTestError: number[];
  /** The deepest net's final loss is more than `margin` (relative) above the shallowest's. */
  worseWithDepth: boolean;
}

/** Relative differences of one backend against the float64 reference on one spec and batch. */
export interface AgreementRow {
  spec: string;
  backend: string;
  /** max|a - b| / max|ref| of the output. */
  output: number;
  /** The largest relative error over all parameter gradients, and the parameter where it occurs. */
  grads: number;
  worstParam: string;
  /** The largest per-value relative error over every gradient-norm series (blocks or timesteps). */
  norms: number;
  /** Within DESIGN.md's tolerances. */
  pass: boolean;
  /** Norm values that both the backend and the reference put below float32's smallest normal: they agree as "underflow". */
  underflow: number;
  /** Conv nets: how far the reference itself moves under float32-sized weight changes (`referenceSpread`). */
  spread?: Spread;
  /** Outside the tolerances, but no further off than the reference's own spread: the batch sits on a ReLU kink. */
  withinFloat32Spread?: boolean;
}

/** The largest change of each agreement measure over the reference's perturbed runs. */
export interface Spread {
  output: number;
  grads: number;
  norms: number;
}

export interface SpeedRow {
  backend: string;
  workload: string;
  /** Median wall time of one training step (forward, backward, optimizer), report steps excluded. */
  medianStepMs: number;
  steps: number;
}

/**
 * A run that did not happen or did not finish — shown in the report, never silently dropped. `unsupported`: the
 * backend's manifest does not cover it (e.g. no GRU); `failed`: it threw (the CLI then exits 1 after the report).
 */
export interface SkippedRun {
  backend: string;
  experiment: Experiment;
  workload: string;
  kind: 'unsupported' | 'failed';
  reason: string;
}

export interface MachineInfo {
  os: string;
  arch: string;
  cpuModel: string;
  cores: number;
  node: string;
}

export interface BackendInfo {
  name: string;
  runtime: RuntimeInfo;
  semantics: string;
}

export const TOLERANCES = { output: 1e-5, grads: 1e-4, norms: 1e-3 } as const;
/** MSE of always predicting 1.0 on the adding problem. */
export const ADDING_BASELINE_MSE = 1 / 6;

/** One claim of the product, checked on every backend from the numbers of this run. */
export interface Verdict {
  /** e.g. `residual keeps the gradient at depth 32`. */
  claim: string;
  experiment: Experiment;
  /** Shown on every backend that ran it. */
  shown: boolean;
  backends: { backend: string; shown: boolean; numbers: number[] }[];
  /** One line: the claim, shown or not, the two numbers and the backends. */
  text: string;
}

export interface CompareResults {
  gradscopeCompareVersion: string;
  suite: SuiteSettings;
  /** The experiments this run included (`--experiments`). */
  experiments: Experiment[];
  /** `--only`: the regular expression the run's workload labels were filtered by (absent: every workload). */
  only?: string;
  seed: number;
  startedAt: string;
  durationMs: number;
  machine: MachineInfo;
  backends: BackendInfo[];
  depth: { runs: DepthRun[] };
  time: { baselineMse: number; runs: TimeRun[] };
  mnist: {
    runs: MnistRun[];
    /** How final losses are compared: mean of the last `window` steps, `margin` relative difference. */
    degradation: { window: number; margin: number; rows: DegradationRow[]; verdicts: { backend: string; text: string }[] };
  };
  cures: { init: InitCureRun[]; clipping: ClipCureRun[] };
  agreement: { tolerances: typeof TOLERANCES; rows: AgreementRow[] };
  /** One line per claim, as the terminal and the report print them first. */
  verdicts: Verdict[];
  /** Runs executed side by side in this many worker threads (1: in the calling thread). */
  workers: number;
  speed: { rows: SpeedRow[] };
  skipped: SkippedRun[];
}
