import type { ArchitectureNorms, Batch, LossName, NetworkSpec, ParamSet, TrainingConfig } from '@gradscope/core';

/** A float64 tensor from a golden fixture (PyTorch's float64 results), row-major. */
export interface Float64Tensor {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

/** The fixture files shipped in `@gradscope/testkit/fixtures`. */
export type GoldenFile = 'residual' | 'recurrent' | 'keras-lstm';

/** What PyTorch computed for one (network, batch, loss), in float64. */
export interface GoldenExpectation extends ArchitectureNorms {
  readonly output: Float64Tensor;
  readonly loss: number;
  /** Gradient of the batch-mean loss for every parameter, PyTorch names. */
  readonly grads: Readonly<Record<string, Float64Tensor>>;
}

/**
 * One golden case: a network with float32-representable weights, a batch and a loss, and PyTorch's float64 results.
 * Every fixture entry yields one case per loss (`id` ends with the loss name).
 */
export interface GoldenCase {
  /** e.g. `plain sigmoid depth 12x2 · crossEntropy`, `lstm 2x5 T=20 · mse`. */
  readonly id: string;
  readonly file: GoldenFile;
  readonly spec: NetworkSpec;
  /** Seed the generator drew the weights and the batch with (null for the Keras case). */
  readonly seed: number | null;
  readonly params: ParamSet;
  readonly batch: Batch;
  readonly loss: LossName;
  readonly expected: GoldenExpectation;
}

/** One step of a golden training trajectory. */
export interface GoldenStep {
  /** 1 for the first step. */
  readonly step: number;
  readonly lr: number;
  /** Loss of the batch before this step's update. */
  readonly loss: number;
  /** Total gradient norm before clipping. */
  readonly gradNorm: number;
  readonly clipCoef: number;
  /** Raw (pre-clip) gradients at the parameters before this step. */
  readonly grads: Readonly<Record<string, Float64Tensor>>;
  /** Parameters after this step (float64: PyTorch trained in float64). */
  readonly params: Readonly<Record<string, Float64Tensor>>;
}

/** Three optimizer steps on one batch, from float32-representable initial weights, as torch.optim took them. */
export interface GoldenTrajectory {
  /** e.g. `adam clip norm (lstm)`. */
  readonly id: string;
  readonly spec: NetworkSpec;
  readonly config: TrainingConfig;
  readonly params: ParamSet;
  readonly batch: Batch;
  readonly steps: readonly GoldenStep[];
}
