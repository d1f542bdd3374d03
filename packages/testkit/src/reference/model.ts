import {
  assertTrainingSupported,
  createOptimizerState,
  DisposedError,
  TrainingNotConfiguredError,
  lossNames,
  NotSupportedError,
  parseTrainingConfig,
  type Backend,
  type Batch,
  type GradientResult,
  type LossName,
  type Model,
  type NetworkSpec,
  type OptimizerState,
  type ParamSet,
  type StepOptions,
  type StepResult,
  type Tensor,
  type TrainingConfig,
  type TrainingState,
} from '@gradscope/core';
import { architectureNorms, forward64, gradients64, type AnyBatch, type AnyTensor, type GradientResult64 } from './network.js';
import { toParams64, toParamSet, withShapes, type Params64, type Tensor64 } from './params64.js';
import { exportTrainingState, importTrainingState, trainStep64 } from './train.js';

const toFloat32 = (t: Tensor64): Tensor => ({ shape: [...t.shape], data: Float32Array.from(t.data) });

/**
 * A network held in float64. Besides the float32 `Model` contract it offers float64 twins of its answers,
 * so exact comparisons (PyTorch goldens to 1e-9) are not limited by float32 rounding.
 */
export class ReferenceModel implements Model {
  readonly spec: NetworkSpec;
  readonly backend = 'reference';
  private params: Params64;
  private config: TrainingConfig | undefined;
  private state: OptimizerState = createOptimizerState();
  private disposed = false;

  constructor(
    private readonly owner: Pick<Backend, 'name' | 'supports'>,
    /** Parsed, and not shared with the caller. */
    spec: NetworkSpec,
    params: ParamSet,
    private readonly onDispose: () => void,
  ) {
    this.spec = spec;
    this.params = toParams64(this.spec, params);
  }

  async forward(input: Tensor): Promise<Tensor> {
    return toFloat32(await this.forward64(input));
  }

  /** The output in float64; the input may be float32 or float64. */
  async forward64(input: AnyTensor): Promise<Tensor64> {
    this.guard();
    return forward64(this.spec, this.params, input);
  }

  async computeGradients(batch: Batch, loss: LossName): Promise<GradientResult> {
    const r = await this.computeGradients64(batch, loss);
    const grads: ParamSet = {};
    for (const [name, t] of Object.entries(r.grads)) grads[name] = toFloat32(t);
    return { output: toFloat32(r.output), loss: r.loss, grads, ...architectureNorms(r) };
  }

  /** Loss, gradients and norms in float64; the batch may be float32 or float64. */
  async computeGradients64(batch: AnyBatch, loss: LossName): Promise<GradientResult64> {
    this.guard();
    if (!lossNames.includes(loss)) throw new NotSupportedError(this.owner.name, `loss "${String(loss)}"`);
    return gradients64(this.spec, this.params, batch, loss);
  }

  configureTraining(config: TrainingConfig): void {
    this.guard();
    const parsed = parseTrainingConfig(config); // a validated copy (SpecError naming the path otherwise)
    assertTrainingSupported(this.owner, parsed);
    this.config = parsed;
    this.state = createOptimizerState();
  }

  async trainStep(batch: Batch, options?: StepOptions): Promise<StepResult> {
    return this.trainStep64(batch, options);
  }

  /** `trainStep` for a batch that may be float64. */
  async trainStep64(batch: AnyBatch, options?: StepOptions): Promise<StepResult> {
    this.guard();
    if (!this.config) throw new TrainingNotConfiguredError('reference', 'trainStep');
    return trainStep64(this.spec, this.params, this.config, this.state, batch, options?.report ?? false);
  }

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

  private guard(): void {
    if (this.disposed) throw new DisposedError('reference model');
  }
}
