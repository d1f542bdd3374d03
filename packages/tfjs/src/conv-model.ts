import * as tf from '@tensorflow/tfjs';
import {
  DisposedError,
  NotSupportedError,
  ShapeError,
  TrainingNotConfiguredError,
  applyTrainingStep,
  assertTrainingSupported,
  batchNormModes,
  checkBatchesTracked,
  checkConvInput,
  createOptimizerState,
  formatShape,
  l2Norm,
  paramShapes,
  restoreOptimizerState,
  trainingStateOf,
  validateParams,
  type Batch,
  type BatchNormMode,
  type ConvResidualSpec,
  type GradientReport,
  type GradientResult,
  type LossName,
  type Model,
  type OptimizerState,
  type ParamSet,
  type ParamShape,
  type StepOptions,
  type StepResult,
  type Tensor,
  type TrainingConfig,
  type TrainingState,
} from '@gradscope/core';
import { BN_MOMENTUM, blockOutputShapes, checkBatchNormSizes, convForward, type BatchStats } from './conv.js';
import { TFJS_BACKEND_NAME, activateDevice, type TfjsDevice } from './device.js';
import { tfjsSupports } from './supports.js';
import { checkLabels, lossTensor } from './train.js';

interface ConvPass {
  readonly loss: number;
  readonly output?: Float32Array;
  /** Trainable gradients in PyTorch layout, in `state_dict` order. */
  readonly grads: Float32Array[];
  readonly blockOutputGradNorms?: number[];
}

/**
 * A conv residual spec (`variant: "conv"`) realized on tfjs. Every `state_dict` tensor is a tf variable in PyTorch
 * layout (the NCHW -> NHWC and kernel transposes happen inside the graph, so gradients and optimizer buffers are
 * PyTorch-shaped as they come). BatchNorm as `nn.BatchNorm2d`: in `train` mode (the initial one) forwards use batch
 * statistics and `trainStep` updates the running statistics (momentum 0.1, unbiased variance); `forward` and
 * `computeGradients` never change the model. In `eval` mode the running statistics are used.
 */
export class TfjsConvModel implements Model {
  readonly spec: ConvResidualSpec;
  readonly backend = TFJS_BACKEND_NAME;
  readonly device: TfjsDevice;
  private readonly shapes: readonly ParamShape[];
  private readonly trainable: readonly ParamShape[];
  private readonly variables: Record<string, tf.Variable>;
  private readonly onDispose: () => void;
  private mode: BatchNormMode = 'train';
  private tracked = 0;
  private training?: { config: TrainingConfig; state: OptimizerState; host: Record<string, Float32Array> };
  private disposed = false;

  /** Use `TfjsBackend.createModel`: `params` must already be validated against the spec. */
  constructor(spec: ConvResidualSpec, params: ParamSet, device: TfjsDevice, onDispose: () => void) {
    this.spec = spec;
    this.device = device;
    this.onDispose = onDispose;
    this.shapes = paramShapes(spec);
    this.trainable = this.shapes.filter((p) => p.trainable !== false);
    this.variables = {};
    for (const { name, shape, trainable } of this.shapes) {
      const data = params[name]!.data.slice();
      this.variables[name] = tf.tidy(() => tf.variable(tf.tensor(data, [...shape]), trainable !== false, undefined, 'float32'));
    }
  }

  /** Like `module.train()` / `module.eval()` in PyTorch. */
  setBatchNormMode(mode: BatchNormMode): void {
    this.assertLive();
    if (!batchNormModes.includes(mode)) throw new NotSupportedError(TFJS_BACKEND_NAME, `BatchNorm mode ${JSON.stringify(mode)}`, 'expected train or eval');
    this.mode = mode;
  }

  getBatchNormMode(): BatchNormMode {
    return this.mode;
  }

  /** BatchNorm's `num_batches_tracked`: training steps taken in `train` mode (the same for every BatchNorm layer). */
  get batchesTracked(): number {
    return this.tracked;
  }

  async forward(input: Tensor): Promise<Tensor> {
    await this.ready();
    const batch = checkConvInput(this.spec, input);
    checkBatchNormSizes(this.spec, batch, this.mode);
    const out = tf.tidy(() => convForward(this.spec, this.variables, this.inputTensor(input), this.mode).output);
    try {
      return { shape: [batch, this.spec.outputSize], data: (await out.data()) as Float32Array };
    } finally {
      out.dispose();
    }
  }

  async computeGradients(batch: Batch, loss: LossName): Promise<GradientResult> {
    await this.ready();
    const n = this.checkBatch(batch, loss);
    const pass = await this.pass(batch, loss, true, true, false);
    const grads: ParamSet = {};
    this.trainable.forEach(({ name, shape }, i) => (grads[name] = { shape: [...shape], data: pass.grads[i]! }));
    return { output: { shape: [n, this.spec.outputSize], data: pass.output! }, loss: pass.loss, grads, blockOutputGradNorms: pass.blockOutputGradNorms! };
  }

  configureTraining(config: TrainingConfig): void {
    this.assertLive();
    assertTrainingSupported({ name: TFJS_BACKEND_NAME, supports: tfjsSupports }, config);
    this.training = { config, state: createOptimizerState(), host: this.downloadTrainable() };
  }

  async trainStep(batch: Batch, options: StepOptions = {}): Promise<StepResult> {
    await this.ready();
    const training = this.training;
    if (!training) throw new TrainingNotConfiguredError(TFJS_BACKEND_NAME, 'trainStep');
    this.checkBatch(batch, training.config.loss);
    const monitor = options.report === true;
    const pass = await this.pass(batch, training.config.loss, monitor, false, this.mode === 'train' && this.spec.norm === 'batch');
    const step = training.state.step + 1;
    const grads: Record<string, Float32Array> = {};
    this.trainable.forEach(({ name }, i) => (grads[name] = pass.grads[i]!));
    const applied = applyTrainingStep(training.config, training.state, training.host, grads, monitor);
    tf.tidy(() => {
      for (const { name, shape } of this.trainable) this.variables[name]!.assign(tf.tensor(training.host[name]!.slice(), [...shape]));
    });
    const result = { step, loss: pass.loss, lr: applied.lr, gradNorm: applied.gradNorm, clipCoef: applied.clipCoef };
    if (!monitor) return result;
    const report: GradientReport = { ...result, params: applied.params!, blockOutputGradNorms: pass.blockOutputGradNorms! };
    return { ...result, report };
  }

  /** Every tensor of `paramShapes` (running statistics included). */
  async getParams(): Promise<ParamSet> {
    await this.ready();
    const out: ParamSet = {};
    for (const { name, shape } of this.shapes) out[name] = { shape: [...shape], data: (this.variables[name]!.dataSync() as Float32Array).slice() };
    return out;
  }

  async setParams(params: ParamSet): Promise<void> {
    await this.ready();
    const ordered = validateParams(this.spec, params);
    tf.tidy(() => {
      for (const { name, shape } of this.shapes) this.variables[name]!.assign(tf.tensor(ordered[name]!.data.slice(), [...shape]));
    });
    if (this.training) this.training.host = this.downloadTrainable();
  }

  /** The optimizer state, and `batchesTracked` when the net has BatchNorm. */
  async getTrainingState(): Promise<TrainingState> {
    this.assertLive();
    const state = trainingStateOf(this.training?.state ?? createOptimizerState());
    return this.spec.norm === 'batch' ? { ...state, batchesTracked: this.tracked } : state;
  }

  async setTrainingState(state: TrainingState): Promise<void> {
    this.assertLive();
    if (!this.training) throw new TrainingNotConfiguredError(TFJS_BACKEND_NAME, 'setTrainingState');
    const tracked = checkBatchesTracked(state);
    this.training.state = restoreOptimizerState(this.spec, state);
    if (tracked !== undefined && this.spec.norm === 'batch') this.tracked = tracked;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of Object.values(this.variables)) v.dispose();
    this.training = undefined;
    this.onDispose();
  }

  /** The variables by PyTorch name, in PyTorch layout (for export; do not dispose). */
  weights(): Readonly<Record<string, tf.Variable>> {
    this.assertLive();
    return this.variables;
  }

  private assertLive(): void {
    if (this.disposed) throw new DisposedError('tfjs model (residual conv)');
  }

  private async ready(): Promise<void> {
    this.assertLive();
    await activateDevice(this.device);
  }

  private inputTensor(input: Tensor): tf.Tensor4D {
    return tf.tensor4d(input.data, input.shape as [number, number, number, number]);
  }

  private checkBatch(batch: Batch, loss: LossName): number {
    const n = checkConvInput(this.spec, batch.input);
    const want = loss === 'mse' ? [n, this.spec.outputSize] : [n];
    const t = batch.target;
    const ok = t.shape.length === want.length && t.shape.every((d, i) => d === want[i]) && t.data.length === want.reduce((a, b) => a * b, 1);
    if (!ok) throw new ShapeError(`target: ${loss} expects shape ${formatShape(want)}, got ${formatShape(t.shape)}`);
    checkLabels(loss, t, this.spec.outputSize);
    checkBatchNormSizes(this.spec, n, this.mode);
    return n;
  }

  /**
   * One forward + backward pass (tf.valueAndGrads over the trainable variables and, when monitoring, one zero probe
   * per BasicBlock output). With `updateStats`, the batch statistics of the pass are folded into the running ones.
   */
  private async pass(batch: Batch, loss: LossName, monitor: boolean, wantOutput: boolean, updateStats: boolean): Promise<ConvPass> {
    const kept: tf.Tensor[] = [];
    const keep = <T extends tf.Tensor>(t: T): T => {
      kept.push(tf.keep(t));
      return t;
    };
    let output: tf.Tensor | undefined;
    let stats: BatchStats[] = [];
    let result: { value: tf.Tensor; weightGrads: tf.Tensor[]; probeGrads: tf.Tensor[] } | undefined;
    try {
      result = tf.tidy(() => {
        const x = this.inputTensor(batch.input);
        const target = tf.tensor(batch.target.data, [...batch.target.shape]);
        const probes = monitor ? blockOutputShapes(this.spec, batch.input.shape[0]!).map((s) => tf.zeros(s)) : [];
        const weights = this.trainable.map(({ name }) => this.variables[name]!);
        const lossOf = (): tf.Scalar => {
          const trace = convForward(this.spec, this.variables, x, this.mode, probes);
          if (wantOutput) output = keep(trace.output);
          if (updateStats) stats = trace.batchStats.map((s) => ({ name: s.name, mean: keep(s.mean), varUnbiased: keep(s.varUnbiased) }));
          return lossTensor(loss, trace.output, target);
        };
        const { value, grads } = tf.valueAndGrads(lossOf)([...probes, ...weights]);
        return { value, weightGrads: grads.slice(probes.length), probeGrads: grads.slice(0, probes.length) };
      });
      const lossValue = (await result.value.data())[0]!;
      const grads = (await Promise.all(result.weightGrads.map((g) => g.data()))) as Float32Array[];
      const out = output ? ((await output.data()) as Float32Array) : undefined;
      if (updateStats) this.updateRunningStats(stats);
      if (!monitor) return { loss: lossValue, grads, output: out };
      const probeGrads = (await Promise.all(result.probeGrads.map((g) => g.data()))) as Float32Array[];
      return { loss: lossValue, grads, output: out, blockOutputGradNorms: probeGrads.map((g) => l2Norm(g)) };
    } finally {
      const owned = result ? [result.value, ...result.weightGrads, ...result.probeGrads] : [];
      tf.dispose([...owned, ...kept]);
    }
  }

  /** PyTorch's side effect of a training-mode forward: running = (1 - momentum) * running + momentum * batch statistic. */
  private updateRunningStats(stats: readonly BatchStats[]): void {
    tf.tidy(() => {
      for (const s of stats) {
        const mean = this.variables[`${s.name}.running_mean`]!;
        const variance = this.variables[`${s.name}.running_var`]!;
        mean.assign(tf.add(tf.mul(mean, 1 - BN_MOMENTUM), tf.mul(s.mean, BN_MOMENTUM)));
        variance.assign(tf.add(tf.mul(variance, 1 - BN_MOMENTUM), tf.mul(s.varUnbiased, BN_MOMENTUM)));
      }
    });
    this.tracked++;
  }

  private downloadTrainable(): Record<string, Float32Array> {
    const host: Record<string, Float32Array> = {};
    // A copy: on the cpu backend dataSync returns the tensor's own array, and the optimizer updates host arrays in place.
    for (const { name } of this.trainable) host[name] = (this.variables[name]!.dataSync() as Float32Array).slice();
    return host;
  }
}
