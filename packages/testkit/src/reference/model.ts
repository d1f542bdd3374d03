import {
  lossNames,
  NotSupportedError,
  type Batch,
  type GradientResult,
  type LossName,
  type NetworkSpec,
  type ParamSet,
  type StepOptions,
  type StepResult,
  type Tensor,
} from '@gradscope/core';
import { ReferenceModelBase } from './model-base.js';
import { architectureNorms, forward64, gradients64, type AnyBatch, type AnyTensor, type GradientResult64 } from './network.js';
import type { Params64, Tensor64 } from './params64.js';

const toFloat32 = (t: Tensor64): Tensor => ({ shape: [...t.shape], data: Float32Array.from(t.data) });

/**
 * A dense residual or recurrent network held in float64. Besides the float32 `Model` contract it offers float64
 * twins of its answers, so exact comparisons (PyTorch goldens to 1e-9) are not limited by float32 rounding.
 */
export class ReferenceModel extends ReferenceModelBase<NetworkSpec> {
  async forward(input: Tensor): Promise<Tensor> {
    return toFloat32(await this.forward64(input));
  }

  /** The output in float64; the input may be float32 or float64. */
  async forward64(input: AnyTensor): Promise<Tensor64> {
    this.assertLive();
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
    this.assertLive();
    if (!lossNames.includes(loss)) throw new NotSupportedError(this.owner.name, `loss "${String(loss)}"`);
    return gradients64(this.spec, this.params, batch, loss);
  }

  async trainStep(batch: Batch, options?: StepOptions): Promise<StepResult> {
    return this.trainStep64(batch, options);
  }

  /** `trainStep` for a batch that may be float64. */
  async trainStep64(batch: AnyBatch, options?: StepOptions): Promise<StepResult> {
    this.assertLive();
    const config = this.configured();
    const result = gradients64(this.spec, this.params, batch, config.loss);
    const grads: Params64 = {};
    for (const [name, t] of Object.entries(result.grads)) grads[name] = t.data;
    const withReport = options?.report ?? false;
    // Refused like every backend's: float64 weights that would overflow float32 are never written.
    return this.applyStep(result.loss, this.params, grads, withReport, withReport ? architectureNorms(result) : undefined);
  }
}
