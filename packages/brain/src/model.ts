import {
  checkBatch,
  checkInput,
  cloneParams,
  HostTrainedModel,
  NotSupportedError,
  validateParams,
  type Backend,
  type Batch,
  type GradientResult,
  type LossName,
  type NetworkSpec,
  type ParamSet,
  type StepOptions,
  type StepResult,
  type Tensor,
} from '@gradscope/core';
import type { BrainNetwork } from './network.js';

/**
 * A network on brain.js behind core's `Model` contract. brain.js computes outputs and gradients; the update is
 * core's training step (clip -> schedule -> optimizer with torch.optim's equations) on those gradients,
 * because brain.js's own trainers use their own optimizer (which ignores `learningRate`) and per-sample updates.
 */
export class BrainModel extends HostTrainedModel<NetworkSpec> {
  private params: ParamSet;

  constructor(
    spec: NetworkSpec,
    owner: Pick<Backend, 'name' | 'supports'>,
    private readonly network: BrainNetwork,
    params: ParamSet,
    private readonly onDispose: (model: BrainModel) => void,
  ) {
    super(owner, spec);
    this.params = cloneParams(validateParams(spec, params));
    network.setParams(this.params);
  }

  async forward(input: Tensor): Promise<Tensor> {
    this.assertLive();
    checkInput(this.spec, input);
    return this.network.forward(input);
  }

  async computeGradients(batch: Batch, loss: LossName): Promise<GradientResult> {
    this.assertLive();
    if (!this.owner.supports.losses.includes(loss)) throw new NotSupportedError(this.owner.name, `loss "${loss}"`);
    checkBatch(this.spec, batch, loss);
    const { output, loss: value, grads, norms } = this.network.gradients(batch, loss);
    return { output, loss: value, grads, ...norms };
  }

  async trainStep(batch: Batch, options: StepOptions = {}): Promise<StepResult> {
    this.assertLive();
    const config = this.configured();
    checkBatch(this.spec, batch, config.loss);
    const pass = this.network.gradients(batch, config.loss);
    const weights = Object.fromEntries(Object.entries(this.params).map(([n, t]) => [n, t.data]));
    const grads = Object.fromEntries(Object.entries(pass.grads).map(([n, t]) => [n, t.data]));
    const result = this.applyStep(pass.loss, weights, grads, options.report === true, pass.norms);
    if (!result.nonFinite) this.network.setParams(this.params);
    return result;
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

  protected release(): void {
    this.onDispose(this);
  }
}
