import {
  checkBatch,
  checkInput,
  lossNames,
  NotSupportedError,
  paramShapes,
  type Batch,
  type GradientResult,
  type LossName,
  type Model,
  type NetworkSpec,
  type ParamSet,
  type StepOptions,
  type StepResult,
  type Tensor,
} from '@gradscope/core';
import { compileModel, names, type Purpose } from './compile.js';
import { targetFeed } from './loss.js';
import { OnnxModelBase } from './model-base.js';
import { paramFeeds } from './params.js';
import type { Feeds, Fetched } from './session.js';

function grid(data: Float32Array, rows: number, cols: number): number[][] {
  return Array.from({ length: rows }, (_, r) => Array.from(data.subarray(r * cols, (r + 1) * cols)));
}

/** A dense residual or recurrent spec compiled to ONNX graphs (one per purpose, loss and batch shape). */
export class OnnxModel extends OnnxModelBase<NetworkSpec> implements Model {

  /** Compiles (once per purpose, loss and batch shape) and runs the graph. */
  private async run(purpose: Purpose, loss: LossName | undefined, batch: number, steps: number, extra: Feeds): Promise<Fetched> {
    this.assertLive();
    const key = `${purpose}:${loss ?? '-'}:${batch}:${steps}`;
    const build = (): Uint8Array => compileModel(this.spec, { purpose, batch, steps, ...(loss ? { loss } : {}) }).model;
    const session = await this.sessions.get(key, build, this.sessionOptions);
    this.assertLive();
    // Each session's outputs are exactly what its purpose fetches.
    return session.run({ ...paramFeeds(this.params, this.spec), ...extra });
  }

  private batchFeeds(batch: Batch, loss: LossName): Feeds {
    return { [names.input]: { dims: batch.input.shape, data: batch.input.data }, [names.target]: targetFeed(loss, batch.target, this.spec.outputSize) };
  }

  async forward(input: Tensor): Promise<Tensor> {
    this.assertLive();
    const dims = checkInput(this.spec, input);
    return this.serial(async () => {
      const out = await this.run('forward', undefined, dims.batch, dims.steps, { [names.input]: { dims: input.shape, data: input.data } });
      const y = out[names.output]!;
      return { shape: y.dims, data: y.data };
    });
  }

  async computeGradients(batch: Batch, loss: LossName): Promise<GradientResult> {
    this.assertLive();
    assertTrainingLoss(loss);
    const dims = checkBatch(this.spec, batch, loss);
    const feeds = this.batchFeeds(batch, loss);
    return this.serial(async () => {
      const out = await this.run('report', loss, dims.batch, dims.steps, feeds);
      const y = out[names.output]!;
      return { output: { shape: y.dims, data: y.data }, loss: out[names.loss]!.data[0]!, grads: this.gradSet(out), ...this.norms(out, dims.steps) };
    });
  }

  private gradSet(out: Fetched): ParamSet {
    const grads: ParamSet = {};
    for (const { name, shape } of paramShapes(this.spec)) grads[name] = { shape, data: out[names.grad(name)]!.data };
    return grads;
  }

  private norms(out: Fetched, steps: number): Partial<GradientResult> {
    if (this.spec.kind === 'residual') {
      if (this.spec.depth === 0) return { blockOutputGradNorms: [], deadUnitFractions: [] };
      return { blockOutputGradNorms: Array.from(out[names.blockNorms]!.data), deadUnitFractions: Array.from(out[names.deadFractions]!.data) };
    }
    const L = this.spec.numLayers;
    return {
      hiddenGradNorms: grid(out[names.hiddenNorms]!.data, L, steps),
      ...(this.spec.cell === 'lstm' ? { cellGradNorms: grid(out[names.cellNorms]!.data, L, steps) } : {}),
      inputGradNorms: Array.from(out[names.inputNorms]!.data),
    };
  }

  async trainStep(batch: Batch, options: StepOptions = {}): Promise<StepResult> {
    this.assertLive();
    const config = this.configured();
    const dims = checkBatch(this.spec, batch, config.loss);
    const feeds = this.batchFeeds(batch, config.loss);
    const withReport = options.report === true;
    return this.serial(async () => {
      const out = await this.run(withReport ? 'report' : 'train', config.loss, dims.batch, dims.steps, feeds);
      const grads: Record<string, Float32Array> = {};
      for (const name of Object.keys(this.params)) grads[name] = out[names.grad(name)]!.data;
      const loss = out[names.loss]!.data[0]!;
      // The optimizer runs in TypeScript on the fetched gradients, with core's exact torch.optim equations.
      return this.applyStep(loss, this.params, grads, withReport, withReport ? this.norms(out, dims.steps) : undefined);
    });
  }
}

function assertTrainingLoss(loss: LossName): void {
  if (!lossNames.includes(loss)) throw new NotSupportedError('onnx', `loss "${String(loss)}"`);
}

