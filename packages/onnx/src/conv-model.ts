import {
  checkConvInput,
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
  type Model,
  type ParamSet,
  type StepOptions,
  type StepResult,
  type Tensor,
} from '@gradscope/core';
import { compileConvModel, runningStatOutput } from './conv.js';
import { convDeadUnitFractions, DEAD_UNIT_COUNTS } from './conv-dead-units.js';
import { OnnxModelBase } from './model-base.js';
import type { Feeds, Fetched } from './session.js';
import { names, type Purpose } from './compile.js';
import { targetFeed } from './loss.js';

/**
 * A convolutional residual net (`variant: "conv"`) on onnxruntime-web. Like a fresh torch module it starts in
 * BatchNorm `train` mode; `setBatchNormMode('eval')` switches to the running statistics. Only `trainStep` in `train`
 * mode moves the running statistics (PyTorch's momentum 0.1, unbiased variance); `forward` and `computeGradients`
 * never change the model. Gradients and optimizer updates cover the trainable tensors only.
 */
export class OnnxConvModel extends withBatchNorm(OnnxModelBase<ConvResidualSpec>) implements Model {
  /** Compiles (once per purpose, loss, batch size and BatchNorm mode) and runs the graph. */
  private async run(purpose: Purpose, loss: LossName | undefined, batch: number, extra: Feeds): Promise<Fetched> {
    this.assertLive();
    // Without BatchNorm both modes compute the same graph.
    const mode = this.spec.norm === 'batch' ? this.batchNorm.mode : 'eval';
    const build = (): Uint8Array => compileConvModel(this.spec, { purpose, batch, mode, ...(loss ? { loss } : {}) }).model;
    const session = await this.sessions.get(`${purpose}:${loss ?? '-'}:${batch}:${mode}`, build, this.sessionOptions);
    this.assertLive();
    const feeds: Feeds = { ...extra };
    for (const { name, shape } of paramShapes(this.spec)) feeds[name] = { dims: shape, data: this.params[name]! };
    return session.run(feeds);
  }

  private batchFeeds(batch: Batch, loss: LossName): { n: number; feeds: Feeds } {
    if (!lossNames.includes(loss)) throw new NotSupportedError('onnx', `loss "${String(loss)}"`);
    const n = checkConvInput(this.spec, batch.input);
    const classes = this.spec.outputSize;
    const want = loss === 'mse' ? [n, classes] : [n];
    const t = batch.target;
    const ok = t.shape.length === want.length && t.shape.every((d, i) => d === want[i]) && t.data.length === want.reduce((a, b) => a * b, 1);
    if (!ok) throw new ShapeError(`target: ${loss} expects shape ${formatShape(want)}, got ${formatShape(t.shape)}`);
    return { n, feeds: { [names.input]: { dims: batch.input.shape, data: batch.input.data }, [names.target]: targetFeed(loss, t, classes) } };
  }

  async forward(input: Tensor): Promise<Tensor> {
    this.assertLive();
    const n = checkConvInput(this.spec, input);
    return this.serial(async () => {
      const y = (await this.run('forward', undefined, n, { [names.input]: { dims: input.shape, data: input.data } }))[names.output]!;
      return { shape: y.dims, data: y.data };
    });
  }

  async computeGradients(batch: Batch, loss: LossName): Promise<GradientResult> {
    this.assertLive();
    const { n, feeds } = this.batchFeeds(batch, loss);
    return this.serial(async () => {
      const out = await this.run('report', loss, n, feeds);
      const y = out[names.output]!;
      return { output: { shape: y.dims, data: y.data }, loss: out[names.loss]!.data[0]!, grads: this.gradSet(out), ...this.norms(out) };
    });
  }

  /** What a `report` graph fetches besides loss and gradients: per-block gradient norms and dead-unit fractions. */
  private norms(out: Fetched): Required<Pick<GradientResult, 'blockOutputGradNorms' | 'deadUnitFractions'>> {
    return { blockOutputGradNorms: Array.from(out[names.blockNorms]!.data), deadUnitFractions: convDeadUnitFractions(this.spec, out[DEAD_UNIT_COUNTS]!.data) };
  }

  private gradSet(out: Fetched): ParamSet {
    const grads: ParamSet = {};
    for (const { name, shape, trainable } of paramShapes(this.spec)) if (trainable !== false) grads[name] = { shape, data: out[names.grad(name)]!.data };
    return grads;
  }

  async trainStep(batch: Batch, options: StepOptions = {}): Promise<StepResult> {
    this.assertLive();
    const config = this.configured();
    const { n, feeds } = this.batchFeeds(batch, config.loss);
    const withReport = options.report === true;
    return this.serial(async () => {
      const out = await this.run(withReport ? 'report' : 'train', config.loss, n, feeds);
      const trainable: Record<string, Float32Array> = {};
      const grads: Record<string, Float32Array> = {};
      for (const { name, trainable: t } of paramShapes(this.spec)) {
        const stat = out[runningStatOutput(name)];
        // The step's forward (BN train mode) moves the running statistics, as PyTorch's does.
        if (stat) this.params[name] = Float32Array.from(stat.data);
        if (t === false) continue;
        trainable[name] = this.params[name]!;
        grads[name] = out[names.grad(name)]!.data;
      }
      this.batchNorm.countStep();
      return this.applyStep(out[names.loss]!.data[0]!, trainable, grads, withReport, withReport ? this.norms(out) : undefined);
    });
  }
}
