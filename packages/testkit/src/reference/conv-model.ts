import {
  checkConvInput,
  computeLoss,
  formatShape,
  lossNames,
  NotSupportedError,
  paramShapes,
  ShapeError,
  withBatchNorm,
  type Batch,
  type ConvResidualSpec,
  type GradientResult,
  type LossName,
  type ParamSet,
  type StepOptions,
  type StepResult,
  type Tensor,
} from '@gradscope/core';
import { convBackward, convDeadUnitFractions, convForward, updateConvRunningStats, type ConvProbes, type ConvTape } from './conv-net.js';
import { ReferenceModelBase } from './model-base.js';
import type { AnyBatch, AnyTensor } from './network.js';
import type { Params64, Tensor64 } from './params64.js';

/** Loss, trainable-parameter gradients, per-block gradient norms and dead-unit fractions in float64. */
export interface ConvGradientResult64 {
  readonly output: Tensor64;
  readonly loss: number;
  readonly grads: Record<string, Tensor64>;
  readonly blockOutputGradNorms: number[];
  /** Per BasicBlock: the units of its two ReLUs (after bn1, and the block output) that are zero for every example. */
  readonly deadUnitFractions: number[];
}

const toFloat32 = (t: Tensor64): Tensor => ({ shape: [...t.shape], data: Float32Array.from(t.data) });

function checkTarget(spec: ConvResidualSpec, target: AnyTensor, batch: number, loss: LossName): void {
  const want = loss === 'mse' ? [batch, spec.outputSize] : [batch];
  const ok = target.shape.length === want.length && target.shape.every((d, i) => d === want[i]) && target.data.length === batch * (loss === 'mse' ? spec.outputSize : 1);
  if (!ok) throw new ShapeError(`target: ${loss} expects shape ${formatShape(want)}, got ${formatShape(target.shape)}`);
}

/**
 * A convolutional residual net (`variant: "conv"`) held in float64: torchvision's ResNet with BasicBlocks, exact
 * gradients, PyTorch's BatchNorm.
 *
 * BatchNorm mode (`setBatchNormMode`): `train` (the default, like a fresh torch module) normalizes with batch statistics,
 * `eval` with the running ones. Only `trainStep` in `train` mode updates the running statistics (momentum 0.1,
 * unbiased variance) and `batchesTracked`; `forward` and `computeGradients` never change the model. Gradients and
 * optimizer updates cover the trainable tensors only, never `running_mean` / `running_var`.
 */
export class ReferenceConvModel extends withBatchNorm(ReferenceModelBase<ConvResidualSpec>) {
  async forward(input: Tensor): Promise<Tensor> {
    return toFloat32(await this.forward64(input));
  }

  async forward64(input: AnyTensor, probes?: ConvProbes): Promise<Tensor64> {
    this.assertLive();
    const tape = this.run(input, probes);
    return { shape: [input.shape[0]!, this.spec.outputSize], data: tape.output };
  }

  async computeGradients(batch: Batch, loss: LossName): Promise<GradientResult> {
    const r = await this.computeGradients64(batch, loss);
    const grads: ParamSet = {};
    for (const [name, t] of Object.entries(r.grads)) grads[name] = toFloat32(t);
    return { output: toFloat32(r.output), loss: r.loss, grads, blockOutputGradNorms: r.blockOutputGradNorms, deadUnitFractions: r.deadUnitFractions };
  }

  async computeGradients64(batch: AnyBatch, loss: LossName): Promise<ConvGradientResult64> {
    this.assertLive();
    return this.gradients(batch, loss).result;
  }

  /** The loss of a batch in float64, with optional probes (what finite-difference tests differentiate). */
  loss64(batch: AnyBatch, loss: LossName, probes?: ConvProbes): number {
    this.assertLive();
    const n = checkConvInput(this.spec, batch.input);
    checkTarget(this.spec, batch.target, n, loss);
    return computeLoss(loss, this.run(batch.input, probes).output, batch.target.data, n).loss;
  }

  async trainStep(batch: AnyBatch, options?: StepOptions): Promise<StepResult> {
    this.assertLive();
    const config = this.configured();
    const { result, tape } = this.gradients(batch, config.loss);
    if (this.batchNorm.updatesRunningStats) updateConvRunningStats(this.spec, this.params, tape);
    this.batchNorm.countStep();
    const trainable: Params64 = {};
    const grads: Params64 = {};
    for (const name of Object.keys(result.grads)) {
      trainable[name] = this.params[name]!;
      grads[name] = result.grads[name]!.data;
    }
    const withReport = options?.report ?? false;
    return this.applyStep(result.loss, trainable, grads, withReport, { blockOutputGradNorms: result.blockOutputGradNorms, deadUnitFractions: result.deadUnitFractions });
  }

  private run(input: AnyTensor, probes?: ConvProbes): ConvTape {
    const n = checkConvInput(this.spec, input);
    return convForward(this.spec, this.params, Float64Array.from(input.data), n, this.batchNorm.mode, probes);
  }

  private gradients(batch: AnyBatch, loss: LossName): { result: ConvGradientResult64; tape: ConvTape } {
    if (!lossNames.includes(loss)) throw new NotSupportedError(this.owner.name, `loss "${String(loss)}"`);
    const n = checkConvInput(this.spec, batch.input);
    checkTarget(this.spec, batch.target, n, loss);
    const tape = this.run(batch.input);
    const value = computeLoss(loss, tape.output, batch.target.data, n);
    const all: Params64 = {};
    for (const [name, p] of Object.entries(this.params)) all[name] = new Float64Array(p.length);
    const blockOutputGradNorms = convBackward(this.spec, this.params, all, tape, value.grad);
    const grads: Record<string, Tensor64> = {};
    for (const p of paramShapes(this.spec)) if (p.trainable !== false) grads[p.name] = { shape: [...p.shape], data: all[p.name]! };
    const deadUnitFractions = convDeadUnitFractions(tape);
    return { result: { output: { shape: [n, this.spec.outputSize], data: tape.output }, loss: value.loss, grads, blockOutputGradNorms, deadUnitFractions }, tape };
  }
}
