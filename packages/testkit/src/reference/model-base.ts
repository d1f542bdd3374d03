import {
  assertTrainingSupported,
  createOptimizerState,
  DisposedError,
  parseTrainingConfig,
  TrainingNotConfiguredError,
  type Backend,
  type Batch,
  type GradientResult,
  type LossName,
  type Model,
  type ModelSpec,
  type OptimizerState,
  type ParamSet,
  type StepOptions,
  type StepResult,
  type Tensor,
  type TrainingConfig,
  type TrainingState,
} from '@gradscope/core';
import type { AnyTensor } from './network.js';
import { toParams64, toParamSet, withShapes, type Params64, type Tensor64 } from './params64.js';
import { exportTrainingState, importTrainingState } from './train.js';

/**
 * What every reference model shares, dense, recurrent or conv: float64 weights with float32 and float64 accessors,
 * the training config and optimizer state (float64 buffers), and dispose. Subclasses add forward and gradients.
 */
export abstract class ReferenceModelBase<S extends ModelSpec> implements Model {
  readonly backend = 'reference';
  protected params: Params64;
  protected config: TrainingConfig | undefined;
  protected state: OptimizerState = createOptimizerState();
  private disposed = false;

  constructor(
    protected readonly owner: Pick<Backend, 'name' | 'supports'>,
    /** Parsed, and not shared with the caller. */
    readonly spec: S,
    params: ParamSet,
    private readonly onDispose: () => void,
  ) {
    this.params = toParams64(spec, params);
  }

  abstract forward(input: Tensor): Promise<Tensor>;
  abstract computeGradients(batch: Batch, loss: LossName): Promise<GradientResult>;
  abstract trainStep(batch: Batch, options?: StepOptions): Promise<StepResult>;

  configureTraining(config: TrainingConfig): void {
    this.guard();
    const parsed = parseTrainingConfig(config); // a validated copy (SpecError naming the path otherwise)
    assertTrainingSupported(this.owner, parsed);
    this.config = parsed;
    this.state = createOptimizerState();
  }

  /** Every tensor of `paramShapes` (running statistics included), rounded to float32. */
  async getParams(): Promise<ParamSet> {
    this.guard();
    return toParamSet(this.spec, this.params);
  }

  /** The parameters in float64 (copies), with their shapes. */
  async getParams64(): Promise<Record<string, Tensor64>> {
    this.guard();
    const copies: Params64 = {};
    for (const [name, p] of Object.entries(this.params)) copies[name] = p.slice();
    return withShapes(this.spec, copies);
  }

  async setParams(params: ParamSet): Promise<void> {
    this.guard();
    this.params = toParams64(this.spec, params);
  }

  /** `setParams` for float64 values (validated the same way), so an exact copy of another reference model is possible. */
  async setParams64(params: Record<string, AnyTensor>): Promise<void> {
    this.guard();
    this.params = toParams64(this.spec, params);
  }

  async getTrainingState(): Promise<TrainingState> {
    this.guard();
    return exportTrainingState(this.state);
  }

  async setTrainingState(state: TrainingState): Promise<void> {
    this.guard();
    this.state = importTrainingState(this.spec, state);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.onDispose();
  }

  protected guard(): void {
    if (this.disposed) throw new DisposedError('reference model');
  }

  /** The training config, or `TrainingNotConfiguredError` naming the call. */
  protected configured(call: string): TrainingConfig {
    if (!this.config) throw new TrainingNotConfiguredError('reference', call);
    return this.config;
  }
}
