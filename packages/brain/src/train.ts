import {
  applyTrainingStep,
  assertTrainingSupported,
  checkBatch,
  checkInput,
  restoreOptimizerState,
  trainingStateOf,
  cloneParams,
  createOptimizerState,
  DisposedError,
  NonFiniteLossError,
  NotSupportedError,
  parseTrainingConfig,
  validateParams,
  TrainingNotConfiguredError,
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
import type { BrainNetwork } from './network.js';

/**
 * A network on brain.js behind core's `Model` contract. brain.js computes outputs and gradients; the update is
 * core's `applyTrainingStep` (clip -> schedule -> optimizer with torch.optim's equations) on those gradients,
 * because brain.js's own trainers use their own optimizer (which ignores `learningRate`) and per-sample updates.
 */
export class BrainModel implements Model {
  private params: ParamSet;
  private config: TrainingConfig | undefined;
  private optimizer: OptimizerState = createOptimizerState();
  private disposed = false;

  constructor(
    readonly spec: NetworkSpec,
    private readonly backendInfo: Pick<Backend, 'name' | 'supports'>,
    private readonly network: BrainNetwork,
    params: ParamSet,
    private readonly onDispose: (model: BrainModel) => void,
  ) {
    this.params = cloneParams(validateParams(spec, params));
    network.setParams(this.params);
  }

  get backend(): string {
    return this.backendInfo.name;
  }

  async forward(input: Tensor): Promise<Tensor> {
    this.assertLive();
    checkInput(this.spec, input);
    return this.network.forward(input);
  }

  async computeGradients(batch: Batch, loss: LossName): Promise<GradientResult> {
    this.assertLive();
    if (!this.backendInfo.supports.losses.includes(loss)) throw new NotSupportedError(this.backendInfo.name, `loss "${loss}"`);
    checkBatch(this.spec, batch, loss);
    const { output, loss: value, grads, norms } = this.network.gradients(batch, loss);
    return { output, loss: value, grads, ...norms };
  }

  configureTraining(config: TrainingConfig): void {
    this.assertLive();
    const parsed = parseTrainingConfig(config);
    assertTrainingSupported(this.backendInfo, parsed);
    this.config = parsed;
    this.optimizer = createOptimizerState();
  }

  async trainStep(batch: Batch, options: StepOptions = {}): Promise<StepResult> {
    this.assertLive();
    const config = this.config;
    if (!config) throw new TrainingNotConfiguredError(this.backendInfo.name, 'trainStep');
    checkBatch(this.spec, batch, config.loss);
    const pass = this.network.gradients(batch, config.loss);
    const step = this.optimizer.step + 1;
    if (!Number.isFinite(pass.loss)) throw new NonFiniteLossError(step, pass.loss);
    const weights = Object.fromEntries(Object.entries(this.params).map(([n, t]) => [n, t.data]));
    const grads = Object.fromEntries(Object.entries(pass.grads).map(([n, t]) => [n, t.data]));
    const applied = applyTrainingStep(config, this.optimizer, weights, grads, options.report === true);
    this.network.setParams(this.params);
    const result = { step, loss: pass.loss, lr: applied.lr, gradNorm: applied.gradNorm, clipCoef: applied.clipCoef };
    if (!options.report) return result;
    return { ...result, report: { ...result, params: applied.params ?? {}, ...pass.norms } };
  }

  async getParams(): Promise<ParamSet> {
    this.assertLive();
    return cloneParams(this.params);
  }

  async setParams(params: ParamSet): Promise<void> {
    this.assertLive();
    this.params = cloneParams(validateParams(this.spec, params));
    this.network.setParams(this.params);
  }

  async getTrainingState(): Promise<TrainingState> {
    this.assertLive();
    return trainingStateOf(this.optimizer);
  }

  async setTrainingState(state: TrainingState): Promise<void> {
    this.assertLive();
    this.optimizer = restoreOptimizerState(this.spec, state);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.onDispose(this);
  }

  private assertLive(): void {
    if (this.disposed) throw new DisposedError(`${this.backendInfo.name} model`);
  }
}
