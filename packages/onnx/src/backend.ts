import * as ort from 'onnxruntime-web';
import {
  activations,
  assertSpecSupported,
  BACKEND_SPECIFICATION_VERSION,
  cellTypes,
  checkBatch,
  checkInput,
  clipModes,
  DisposedError,
  isConvResidual,
  lossNames,
  NotSupportedError,
  optimizerNames,
  paramShapes,
  scheduleNames,
  type Backend,
  type Batch,
  type GradientResult,
  type LossName,
  type Model,
  type ModelSpec,
  type NetworkSpec,
  type ParamSet,
  type StepOptions,
  type StepResult,
  type Supports,
  type Tensor,
} from '@gradscope/core';
import { OnnxConvModel } from './conv-model.js';
import { OnnxModelBase } from './model-base.js';
import { paramFeeds } from './params.js';
import { oneHot } from './targets.js';
import type { Fetched, Feeds, SessionOptions } from './session.js';
import { compileModel, names, type Purpose } from './train.js';

export const supports: Supports = {
  semantics: 'pytorch',
  residual: { variants: ['dense', 'conv'], activations },
  recurrent: { cells: cellTypes },
  losses: lossNames,
  training: true,
  optimizers: optimizerNames,
  schedules: scheduleNames,
  clipping: clipModes,
  report: ['blockOutputGradNorms', 'deadUnitFractions', 'hiddenGradNorms', 'cellGradNorms', 'inputGradNorms'],
  checkpoint: true,
  export: ['onnx'],
};

export interface OnnxBackendOptions {
  /**
   * onnxruntime's graph optimization level for every session (default `basic`: measured as fast per step as `all`
   * on these graphs, with sessions built ~3x sooner). `disabled` builds long unrolled graphs faster still, at a
   * few percent per step.
   */
  readonly graphOptimizationLevel?: SessionOptions['graphOptimizationLevel'];
}

function grid(data: Float32Array, rows: number, cols: number): number[][] {
  return Array.from({ length: rows }, (_, r) => Array.from(data.subarray(r * cols, (r + 1) * cols)));
}

class OnnxModel extends OnnxModelBase<NetworkSpec> implements Model {

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
    const input = { dims: batch.input.shape, data: batch.input.data };
    const target =
      loss === 'mse'
        ? { dims: batch.target.shape, data: batch.target.data }
        : { dims: [batch.target.shape[0]!, this.spec.outputSize], data: oneHot(batch.target, this.spec.outputSize) };
    return { [names.input]: input, [names.target]: target };
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

const onnxBackendIdentity = { name: 'onnx', supports };

/** The ONNX Runtime Web backend: specs compiled to ONNX graphs with a generated backward graph. */
export function createOnnxBackend(options: OnnxBackendOptions = {}): Backend {
  const models = new Set<OnnxModel | OnnxConvModel>();
  let disposed = false;
  const sessionOptions: SessionOptions = options.graphOptimizationLevel ? { graphOptimizationLevel: options.graphOptimizationLevel } : {};
  return {
    specificationVersion: BACKEND_SPECIFICATION_VERSION,
    name: 'onnx',
    runtime: { name: 'onnxruntime-web', version: ort.env.versions.web ?? 'unknown', device: 'wasm' },
    supports,
    async createModel(spec: ModelSpec, params: ParamSet): Promise<Model> {
      if (disposed) throw new DisposedError('onnx backend');
      assertSpecSupported(onnxBackendIdentity, spec);
      if (isConvResidual(spec)) {
        const model: OnnxConvModel = new OnnxConvModel(onnxBackendIdentity, spec, params, sessionOptions, () => models.delete(model));
        models.add(model);
        return model;
      }
      const model: OnnxModel = new OnnxModel(onnxBackendIdentity, spec, params, sessionOptions, () => models.delete(model));
      models.add(model);
      return model;
    },
    async dispose(): Promise<void> {
      disposed = true;
      await Promise.all([...models].map((m) => m.dispose()));
    },
  };
}
