import { NotSupportedError, type NonFinite } from './errors.js';
import type { ParamSet } from './params.js';
import type { GradientReport, GradientResult } from './report.js';
import type { BatchNormMode } from './conv-spec.js';
import type { Activation, CellType, ModelSpec, ResidualVariant } from './spec.js';
import type { Tensor } from './tensor.js';
import type { TrainingState } from './training-state.js';
import type { ClipMode, LossName, OptimizerName, ScheduleName, TrainingConfig } from './training.js';

/** The one live version of the backend contract. Adapters state the version they implement. */
export const BACKEND_SPECIFICATION_VERSION = 1;

export type ReportField = 'blockOutputGradNorms' | 'deadUnitFractions' | 'hiddenGradNorms' | 'cellGradNorms' | 'inputGradNorms';
export type ExportFormat = 'onnx' | 'tfjs-layers';

/**
 * What a backend implements. The conformance suite gates its sections on this manifest and reports each
 * gated section as skipped with the reason; asking a backend for anything else throws `NotSupportedError`.
 */
export interface Supports {
  /**
   * `pytorch` means the backend computes DESIGN.md's (PyTorch's) equations and must agree with the reference.
   * Anything else (e.g. `brainjs-stock`) names a different model and is excluded from agreement checks.
   */
  readonly semantics: 'pytorch' | (string & {});
  readonly residual: { readonly variants: readonly ResidualVariant[]; readonly activations: readonly Activation[] };
  readonly recurrent: { readonly cells: readonly CellType[] };
  readonly losses: readonly LossName[];
  readonly training: boolean;
  readonly optimizers: readonly OptimizerName[];
  readonly schedules: readonly ScheduleName[];
  readonly clipping: readonly ClipMode[];
  readonly report: readonly ReportField[];
  readonly checkpoint: boolean;
  readonly export: readonly ExportFormat[];
}

/**
 * A batch of examples: input `[batch, inputSize]` (dense residual), `[batch, T, inputSize]` (recurrent) or
 * `[batch, inputChannels, H, W]` (conv residual, NCHW).
 */
export interface Batch {
  readonly input: Tensor;
  /** `[batch, outputSize]` for mse; `[batch]` integer class labels for crossEntropy. */
  readonly target: Tensor;
}

export interface StepOptions {
  /** Compute the full `GradientReport` for this step (per-parameter stats and architecture norms). */
  readonly report?: boolean;
}

export interface StepResult {
  /** 1 for the first training step. */
  readonly step: number;
  readonly loss: number;
  readonly lr: number;
  readonly gradNorm: number;
  readonly clipCoef: number;
  /**
   * Set when the step was refused because its loss, a gradient or an updated weight (as float32) was not finite:
   * weights and optimizer state are those from before the call, and `step` is the step that was attempted.
   */
  readonly nonFinite?: NonFinite;
  readonly report?: GradientReport;
}

/** A network realized on one runtime. Every method throws `DisposedError` after `dispose()`. */
export interface Model {
  /** Dense or conv residual, or recurrent: whatever the backend was asked to build (validated). */
  readonly spec: ModelSpec;
  readonly backend: string;
  /** Output of a batch: `[batch, outputSize]`. Input shape errors are `ShapeError`s naming the expected shape. */
  forward(input: Tensor): Promise<Tensor>;
  /** Loss, every parameter gradient and the architecture norms of one batch, without changing the weights. */
  computeGradients(batch: Batch, loss: LossName): Promise<GradientResult>;
  /** Sets loss, optimizer, schedule and clipping; resets the optimizer state and the step count. */
  configureTraining(config: TrainingConfig): void;
  /** One optimizer step on the batch (after `configureTraining`); never throws for non-finite values (see `nonFinite`). */
  trainStep(batch: Batch, options?: StepOptions): Promise<StepResult>;
  getParams(): Promise<ParamSet>;
  /** Replaces the weights; validated against the spec (`ParamError` lists every problem). */
  setParams(params: ParamSet): Promise<void>;
  getTrainingState(): Promise<TrainingState>;
  setTrainingState(state: TrainingState): Promise<void>;
  /**
   * Conv specs with BatchNorm: switches between PyTorch's `module.train()` (the initial mode) and `module.eval()`.
   * Optional: models of specs without BatchNorm need not implement it.
   */
  setBatchNormMode?(mode: BatchNormMode): void;
  /** Frees runtime resources (tensors, sessions). Idempotent. */
  dispose(): Promise<void>;
}

export interface RuntimeInfo {
  /** e.g. `@tensorflow/tfjs` */
  readonly name: string;
  readonly version: string;
  /** e.g. `wasm`, `cpu`, `float64` */
  readonly device: string;
  /** Threads one kernel may use, where the runtime lets the adapter set or read it (speed figures depend on it). */
  readonly threads?: number;
}

/** A runtime that realizes gradscope specs. One package per backend implements this. */
export interface Backend {
  readonly specificationVersion: typeof BACKEND_SPECIFICATION_VERSION;
  /** Short id used by the CLI: `tfjs`, `onnx`, `brain`, `reference`, ... */
  readonly name: string;
  readonly runtime: RuntimeInfo;
  readonly supports: Supports;
  /** Builds a model from a parsed spec and its parameters (validated; `ParamError` on mismatch). */
  createModel(spec: ModelSpec, params: ParamSet): Promise<Model>;
  /** Releases everything the backend holds, models included. */
  dispose(): Promise<void>;
}

/** Which `supports` entry a spec needs, or undefined when the backend declares it. */
export function unsupportedSpecFeature(supports: Supports, spec: ModelSpec): string | undefined {
  if (spec.kind === 'residual') {
    if (!supports.residual.variants.includes(spec.variant)) return `residual variant "${spec.variant}"`;
    if (spec.variant === 'conv') return undefined;
    if (!supports.residual.activations.includes(spec.block.activation)) return `activation "${spec.block.activation}"`;
    return undefined;
  }
  return supports.recurrent.cells.includes(spec.cell) ? undefined : `recurrent cell "${spec.cell}"`;
}

/** Throws `NotSupportedError` when the backend's manifest does not cover the spec. */
export function assertSpecSupported(backend: Pick<Backend, 'name' | 'supports'>, spec: ModelSpec): void {
  const feature = unsupportedSpecFeature(backend.supports, spec);
  if (feature) throw new NotSupportedError(backend.name, feature);
}

/** Throws `NotSupportedError` when the backend's manifest does not cover the training config. */
export function assertTrainingSupported(backend: Pick<Backend, 'name' | 'supports'>, config: TrainingConfig): void {
  const s = backend.supports;
  if (!s.training) throw new NotSupportedError(backend.name, 'training');
  if (!s.losses.includes(config.loss)) throw new NotSupportedError(backend.name, `loss "${config.loss}"`);
  if (!s.optimizers.includes(config.optimizer.type)) throw new NotSupportedError(backend.name, `optimizer "${config.optimizer.type}"`);
  if (!s.schedules.includes(config.schedule.type)) throw new NotSupportedError(backend.name, `schedule "${config.schedule.type}"`);
  if (config.clip && !s.clipping.includes(config.clip.type)) throw new NotSupportedError(backend.name, `clipping "${config.clip.type}"`);
}
