import * as tf from '@tensorflow/tfjs';
import {
  ShapeError,
  checkLabels,
  checkConvInput,
  convLayout,
  formatShape,
  l2Norm,
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
import { BN_MOMENTUM, blockOutputShapes, checkBatchNormSizes, convForward, type BatchStats } from './conv.js';
import { TFJS_BACKEND_NAME, type TfjsDevice } from './device.js';
import { valueAndGrads } from './gradients.js';
import { TfjsModelBase, torchLayout } from './model-base.js';
import { lossTensor } from './loss.js';

interface ConvPass {
  readonly loss: number;
  readonly output?: Float32Array;
  /** Trainable gradients in PyTorch layout, in `state_dict` order. */
  readonly grads: Float32Array[];
  readonly blockOutputGradNorms?: number[];
  readonly deadUnitFractions?: number[];
}

/**
 * Per activation (NHWC), how many units `(y, x, channel)` are zero for every example of the batch, stacked into one
 * tensor (one download). ReLU outputs are never negative, so "zero everywhere" is "the batch maximum is zero".
 */
function deadUnitCounts(activations: readonly tf.Tensor4D[]): tf.Tensor1D {
  return tf.stack(activations.map((a) => tf.sum(tf.cast(tf.equal(tf.max(a, 0), 0), 'float32')))) as tf.Tensor1D;
}

/**
 * A conv residual spec (`variant: "conv"`) realized on tfjs. Every `state_dict` tensor is a tf variable in PyTorch
 * layout (the NCHW -> NHWC and kernel transposes happen inside the graph, so gradients and optimizer buffers are
 * PyTorch-shaped as they come). BatchNorm as `nn.BatchNorm2d`: in `train` mode (the initial one) forwards use batch
 * statistics and `trainStep` updates the running statistics (momentum 0.1, unbiased variance); `forward` and
 * `computeGradients` never change the model. In `eval` mode the running statistics are used.
 */
export class TfjsConvModel extends withBatchNorm(TfjsModelBase<ConvResidualSpec>) {
  /** Use `TfjsBackend.createModel`: `params` must already be validated against the spec. */
  constructor(spec: ConvResidualSpec, params: ParamSet, device: TfjsDevice, onDispose: () => void) {
    super(spec, params, device, onDispose, torchLayout);
  }

  async forward(input: Tensor): Promise<Tensor> {
    await this.ready();
    const batch = checkConvInput(this.spec, input);
    checkBatchNormSizes(this.spec, batch, this.batchNorm.mode);
    return this.download(batch, () => convForward(this.spec, this.variables, this.inputTensor(input), this.batchNorm.mode).output);
  }

  async computeGradients(batch: Batch, loss: LossName): Promise<GradientResult> {
    await this.ready();
    const n = this.checkBatch(batch, loss);
    const pass = await this.pass(batch, loss, true, true, false);
    const grads: ParamSet = {};
    this.trainable.forEach(({ name, shape }, i) => (grads[name] = { shape: [...shape], data: pass.grads[i]! }));
    return { output: { shape: [n, this.spec.outputSize], data: pass.output! }, loss: pass.loss, grads, blockOutputGradNorms: pass.blockOutputGradNorms!, deadUnitFractions: pass.deadUnitFractions! };
  }

  async trainStep(batch: Batch, options: StepOptions = {}): Promise<StepResult> {
    await this.ready();
    const config = this.configured();
    this.checkBatch(batch, config.loss);
    const monitor = options.report === true;
    const pass = await this.pass(batch, config.loss, monitor, false, this.batchNorm.updatesRunningStats);
    return this.trainOnHost(pass.loss, pass.grads, monitor, monitor ? { blockOutputGradNorms: pass.blockOutputGradNorms!, deadUnitFractions: pass.deadUnitFractions! } : undefined);
  }

  /** The variables by PyTorch name, in PyTorch layout (for export; do not dispose). */
  weights(): Readonly<Record<string, tf.Variable>> {
    this.assertLive();
    return this.variables;
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
    if (loss === 'crossEntropy') checkLabels(t.data, this.spec.outputSize);
    checkBatchNormSizes(this.spec, n, this.batchNorm.mode);
    return n;
  }

  /**
   * One forward + backward pass (tf.valueAndGrads over the trainable variables and, when monitoring, one zero probe
   * per BasicBlock output, and the dead units of each block's ReLUs). With `updateStats`, the batch statistics of the
   * pass are folded into the running ones.
   */
  private async pass(batch: Batch, loss: LossName, monitor: boolean, wantOutput: boolean, updateStats: boolean): Promise<ConvPass> {
    const kept: tf.Tensor[] = [];
    const keep = <T extends tf.Tensor>(t: T): T => {
      kept.push(tf.keep(t));
      return t;
    };
    let output: tf.Tensor | undefined;
    let deadCounts: tf.Tensor | undefined;
    let stats: BatchStats[] = [];
    let result: { value: tf.Tensor; weightGrads: tf.Tensor[]; probeGrads: tf.Tensor[] } | undefined;
    try {
      result = tf.tidy(() => {
        const x = this.inputTensor(batch.input);
        const target = tf.tensor(batch.target.data, [...batch.target.shape]);
        const probes = monitor ? blockOutputShapes(this.spec, batch.input.shape[0]!).map((s) => tf.zeros(s)) : [];
        const weights = this.trainable.map(({ name }) => this.variables[name]!);
        const lossOf = (): tf.Scalar => {
          const trace = convForward(this.spec, this.variables, x, this.batchNorm.mode, probes);
          if (wantOutput) output = keep(trace.output);
          if (monitor) deadCounts = keep(deadUnitCounts(trace.blockActivations.flat()));
          if (updateStats) stats = trace.batchStats.map((s) => ({ name: s.name, mean: keep(s.mean), varUnbiased: keep(s.varUnbiased) }));
          return lossTensor(loss, trace.output, target);
        };
        const { value, grads } = valueAndGrads(lossOf, [...probes, ...weights]);
        return { value, weightGrads: grads.slice(probes.length), probeGrads: grads.slice(0, probes.length) };
      });
      const lossValue = (await result.value.data())[0]!;
      const grads = (await Promise.all(result.weightGrads.map((g) => g.data()))) as Float32Array[];
      const out = output ? ((await output.data()) as Float32Array) : undefined;
      if (updateStats) this.updateRunningStats(stats);
      if (!monitor) return { loss: lossValue, grads, output: out };
      const probeGrads = (await Promise.all(result.probeGrads.map((g) => g.data()))) as Float32Array[];
      const dead = await deadCounts!.data();
      // Both ReLUs of a block have its output shape: (dead hidden + dead output) / (2 · C·H·W).
      const deadUnitFractions = convLayout(this.spec).blocks.map((b, i) => (dead[2 * i]! + dead[2 * i + 1]!) / (2 * b.outChannels * b.outSize[0] * b.outSize[1]));
      return { loss: lossValue, grads, output: out, blockOutputGradNorms: probeGrads.map((g) => l2Norm(g)), deadUnitFractions };
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
    this.batchNorm.countStep();
  }
}
