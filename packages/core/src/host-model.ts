import { assertTrainingSupported, type Backend, type Batch, type Model, type StepOptions, type StepResult } from './backend.js';
import { DisposedError, TrainingNotConfiguredError } from './errors.js';
import { createOptimizerState, type OptimizerState } from './optim.js';
import type { ParamSet } from './params.js';
import type { ArchitectureNorms, GradientResult } from './report.js';
import type { ModelSpec } from './spec.js';
import { applyTrainingStep } from './step.js';
import type { NumericArray, Tensor } from './tensor.js';
import { BatchNormState } from './batchnorm-state.js';
import type { BatchNormMode, ConvResidualSpec } from './conv-spec.js';
import { checkBatchesTracked, restoreOptimizerState, trainingStateOf, type TrainingState } from './training-state.js';
import { parseTrainingConfig, type LossName, type TrainingConfig } from './training.js';

/**
 * The part of `Model` that is the same on every backend whose runtime computes gradients and whose optimizer runs
 * on the host: the parsed training config, the optimizer state, the training step with its one non-finite rule,
 * and the lifecycle (dispose twice is harmless; any other call afterwards is a `DisposedError`).
 * Subclasses add forward, gradients and parameters; they call `assertLive()` first and `applyStep` to update.
 */
export abstract class HostTrainedModel<S extends ModelSpec> implements Model {
  readonly spec: S;
  protected config: TrainingConfig | undefined;
  protected optimizer: OptimizerState = createOptimizerState();
  /** The float type restored optimizer buffers get (a float64 host keeps float64 buffers). */
  protected readonly slotType: Float32ArrayConstructor | Float64ArrayConstructor = Float32Array;
  private disposed = false;

  constructor(
    protected readonly owner: Pick<Backend, 'name' | 'supports'>,
    spec: S,
  ) {
    this.spec = spec;
  }

  get backend(): string {
    return this.owner.name;
  }

  abstract forward(input: Tensor): Promise<Tensor>;
  abstract computeGradients(batch: Batch, loss: LossName): Promise<GradientResult>;
  abstract trainStep(batch: Batch, options?: StepOptions): Promise<StepResult>;
  abstract getParams(): Promise<ParamSet>;
  abstract setParams(params: ParamSet): Promise<void>;
  /** Frees the runtime's resources; called once, by the first `dispose()`. */
  protected abstract release(): void | Promise<void>;

  /** Parses the config (a `SpecError` naming the path, never a raw TypeError) and checks it against `supports`. */
  configureTraining(config: TrainingConfig): void {
    this.assertLive();
    const parsed = parseTrainingConfig(config);
    assertTrainingSupported(this.owner, parsed);
    this.config = parsed;
    this.optimizer = createOptimizerState();
  }

  async getTrainingState(): Promise<TrainingState> {
    this.assertLive();
    return trainingStateOf(this.optimizer);
  }

  /** Checks every buffer against the spec (`ParamError` naming each misfit) before anything changes. */
  async setTrainingState(state: TrainingState): Promise<void> {
    this.assertLive();
    this.optimizer = restoreOptimizerState(this.spec, state, this.slotType);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.config = undefined;
    await this.release();
  }

  protected assertLive(): void {
    if (this.disposed) throw new DisposedError(`${this.owner.name} model`);
  }

  /** The training config, or `TrainingNotConfiguredError` naming the call. */
  protected configured(call = 'trainStep'): TrainingConfig {
    if (!this.config) throw new TrainingNotConfiguredError(this.owner.name, call);
    return this.config;
  }

  /**
   * Core's training step on host arrays (updated in place) and the `StepResult`. A refused step (non-finite loss,
   * gradients or new weights) leaves weights and optimizer state untouched and reports why in `nonFinite`.
   */
  protected applyStep(loss: number, params: Record<string, NumericArray>, grads: Record<string, NumericArray>, withReport: boolean, norms?: ArchitectureNorms): StepResult {
    const applied = applyTrainingStep(this.configured(), this.optimizer, params, grads, withReport, loss);
    const base = { step: applied.nonFinite ? this.optimizer.step + 1 : this.optimizer.step, loss, lr: applied.lr, gradNorm: applied.gradNorm, clipCoef: applied.clipCoef };
    const result: StepResult = applied.nonFinite ? { ...base, nonFinite: applied.nonFinite } : base;
    if (!withReport) return result;
    return { ...result, report: { ...base, params: applied.params ?? {}, ...norms } };
  }
}

/** A constructor of a (possibly abstract) host-trained conv model class; a mixin's base takes any arguments. */
type ConvModelClass = abstract new (...args: any[]) => HostTrainedModel<ConvResidualSpec>;

/** What `withBatchNorm` adds to a conv model. */
export interface BatchNormMembers {
  /** The mode and `num_batches_tracked`; the model's forward and training step read and count it. */
  readonly batchNorm: BatchNormState;
  setBatchNormMode(mode: BatchNormMode): void;
  getBatchNormMode(): BatchNormMode;
  readonly batchesTracked: number;
}

/**
 * Adds PyTorch's BatchNorm bookkeeping to a host-trained conv model class, written once for every backend: the mode
 * (`module.train()` at first, `module.eval()`), `num_batches_tracked` (`batchesTracked`), and the training state
 * that carries it. Subclasses read `this.batchNorm.mode` in their forward and call `this.batchNorm.countStep()` after
 * each training step. (The return type names the added members: declaration files cannot spell a mixin class that
 * inherits protected members.)
 */
export function withBatchNorm<B extends ConvModelClass>(Base: B): B & (abstract new (...args: any[]) => BatchNormMembers) {
  abstract class WithBatchNorm extends Base {
    readonly batchNorm = new BatchNormState(this.spec, this.owner.name);

    /** Like PyTorch's `module.train()` / `module.eval()`. */
    setBatchNormMode(mode: BatchNormMode): void {
      this.assertLive();
      this.batchNorm.setMode(mode);
    }

    getBatchNormMode(): BatchNormMode {
      return this.batchNorm.mode;
    }

    /** BatchNorm's `num_batches_tracked`: training steps taken in `train` mode (the same for every BatchNorm layer). */
    get batchesTracked(): number {
      return this.batchNorm.batchesTracked;
    }

    /** The optimizer state, and `batchesTracked` when the net has BatchNorm. */
    override async getTrainingState(): Promise<TrainingState> {
      return this.batchNorm.addTo(await super.getTrainingState());
    }

    override async setTrainingState(state: TrainingState): Promise<void> {
      this.assertLive();
      const tracked = checkBatchesTracked(state);
      await super.setTrainingState(state);
      this.batchNorm.restore(tracked);
    }
  }
  return WithBatchNorm;
}
