import {
  applyTrainingStep,
  assertTrainingSupported,
  checkBatchesTracked,
  checkConvInput,
  computeLoss,
  createOptimizerState,
  DisposedError,
  formatShape,
  lossNames,
  NotSupportedError,
  paramShapes,
  parseTrainingConfig,
  ShapeError,
  TrainingNotConfiguredError,
  validateParams,
  type Backend,
  type Batch,
  type BatchNormMode,
  type ConvResidualSpec,
  type GradientReport,
  type GradientResult,
  type LossName,
  type Model,
  type OptimizerState,
  type ParamSet,
  type StepOptions,
  type StepResult,
  type Tensor,
  type TrainingConfig,
  type TrainingState,
} from '@gradscope/core';
import { convBackward, convForward, updateConvRunningStats, type ConvProbes, type ConvTape } from './conv-net.js';
import type { AnyBatch, AnyTensor } from './network.js';
import type { Params64, Tensor64 } from './params64.js';
import { exportTrainingState, importTrainingState } from './train.js';

/** Loss, trainable-parameter gradients and per-block gradient norms in float64. */
export interface ConvGradientResult64 {
  readonly output: Tensor64;
  readonly loss: number;
  readonly grads: Record<string, Tensor64>;
  readonly blockOutputGradNorms: number[];
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
export class ReferenceConvModel implements Model {
  readonly backend = 'reference';
  private params: Params64;
  private mode: BatchNormMode = 'train';
  private tracked = 0;
  private config: TrainingConfig | undefined;
  private state: OptimizerState = createOptimizerState();
  private disposed = false;

  constructor(
    private readonly owner: Pick<Backend, 'name' | 'supports'>,
    readonly spec: ConvResidualSpec,
    params: ParamSet,
    private readonly onDispose: () => void,
  ) {
    this.params = this.widen(params);
  }

  /** Like `module.train()` / `module.eval()` in PyTorch. */
  setBatchNormMode(mode: BatchNormMode): void {
    this.guard();
    if (mode !== 'train' && mode !== 'eval') throw new NotSupportedError(this.owner.name, `BatchNorm mode ${JSON.stringify(mode)}`, 'expected train or eval');
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
    return toFloat32(await this.forward64(input));
  }

  async forward64(input: AnyTensor, probes?: ConvProbes): Promise<Tensor64> {
    this.guard();
    const tape = this.run(input, probes);
    return { shape: [input.shape[0]!, this.spec.outputSize], data: tape.output };
  }

  async computeGradients(batch: Batch, loss: LossName): Promise<GradientResult> {
    const r = await this.computeGradients64(batch, loss);
    const grads: ParamSet = {};
    for (const [name, t] of Object.entries(r.grads)) grads[name] = toFloat32(t);
    return { output: toFloat32(r.output), loss: r.loss, grads, blockOutputGradNorms: r.blockOutputGradNorms };
  }

  async computeGradients64(batch: AnyBatch, loss: LossName): Promise<ConvGradientResult64> {
    this.guard();
    return this.gradients(batch, loss).result;
  }

  /** The loss of a batch in float64, with optional probes (what finite-difference tests differentiate). */
  loss64(batch: AnyBatch, loss: LossName, probes?: ConvProbes): number {
    this.guard();
    const n = checkConvInput(this.spec, batch.input);
    checkTarget(this.spec, batch.target, n, loss);
    return computeLoss(loss, this.run(batch.input, probes).output, batch.target.data, n).loss;
  }

  configureTraining(config: TrainingConfig): void {
    this.guard();
    const parsed = parseTrainingConfig(config);
    assertTrainingSupported(this.owner, parsed);
    this.config = parsed;
    this.state = createOptimizerState();
  }

  async trainStep(batch: AnyBatch, options?: StepOptions): Promise<StepResult> {
    this.guard();
    if (!this.config) throw new TrainingNotConfiguredError('reference', 'trainStep');
    const { result, tape } = this.gradients(batch, this.config.loss);
    if (this.mode === 'train') {
      updateConvRunningStats(this.spec, this.params, tape);
      if (this.spec.norm === 'batch') this.tracked++;
    }
    const trainable: Params64 = {};
    const grads: Params64 = {};
    for (const name of Object.keys(result.grads)) {
      trainable[name] = this.params[name]!;
      grads[name] = result.grads[name]!.data;
    }
    const withReport = options?.report ?? false;
    const applied = applyTrainingStep(this.config, this.state, trainable, grads, withReport);
    const base = { step: this.state.step, loss: result.loss, lr: applied.lr, gradNorm: applied.gradNorm, clipCoef: applied.clipCoef };
    if (!withReport) return base;
    const report: GradientReport = { ...base, params: applied.params ?? {}, blockOutputGradNorms: result.blockOutputGradNorms };
    return { ...base, report };
  }

  /** Every tensor of `paramShapes` (running statistics included), rounded to float32. */
  async getParams(): Promise<ParamSet> {
    this.guard();
    const out: ParamSet = {};
    for (const p of paramShapes(this.spec)) out[p.name] = { shape: [...p.shape], data: Float32Array.from(this.params[p.name]!) };
    return out;
  }

  async getParams64(): Promise<Record<string, Tensor64>> {
    this.guard();
    const out: Record<string, Tensor64> = {};
    for (const p of paramShapes(this.spec)) out[p.name] = { shape: [...p.shape], data: this.params[p.name]!.slice() };
    return out;
  }

  async setParams(params: ParamSet): Promise<void> {
    this.guard();
    this.params = this.widen(params);
  }

  async setParams64(params: Record<string, AnyTensor>): Promise<void> {
    this.guard();
    this.params = this.widen(params);
  }

  /** The optimizer state, and `batchesTracked` when the net has BatchNorm. */
  async getTrainingState(): Promise<TrainingState> {
    this.guard();
    const state = exportTrainingState(this.state);
    return this.spec.norm === 'batch' ? { ...state, batchesTracked: this.tracked } : state;
  }

  async setTrainingState(state: TrainingState): Promise<void> {
    this.guard();
    const tracked = checkBatchesTracked(state);
    this.state = importTrainingState(this.spec, state);
    if (tracked !== undefined && this.spec.norm === 'batch') this.tracked = tracked;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.onDispose();
  }

  private widen(params: Record<string, AnyTensor>): Params64 {
    const ordered = validateParams(this.spec, params as ParamSet);
    const out: Params64 = {};
    for (const [name, t] of Object.entries(ordered)) out[name] = Float64Array.from(t.data);
    return out;
  }

  private run(input: AnyTensor, probes?: ConvProbes): ConvTape {
    const n = checkConvInput(this.spec, input);
    return convForward(this.spec, this.params, Float64Array.from(input.data), n, this.mode, probes);
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
    return { result: { output: { shape: [n, this.spec.outputSize], data: tape.output }, loss: value.loss, grads, blockOutputGradNorms }, tape };
  }

  private guard(): void {
    if (this.disposed) throw new DisposedError('reference model');
  }
}
