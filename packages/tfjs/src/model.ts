import * as tf from '@tensorflow/tfjs';
import {
  DisposedError,
  GradscopeError,
  NonFiniteLossError,
  ParamError,
  applyTrainingStep,
  assertTrainingSupported,
  checkBatch,
  checkInput,
  createOptimizerState,
  l2Norm,
  paramShapes,
  validateParams,
  type ArchitectureNorms,
  type Batch,
  type GradientReport,
  type GradientResult,
  type LossName,
  type Model,
  type NetworkSpec,
  type OptimizerState,
  type ParamSet,
  type ParamShape,
  type StepOptions,
  type StepResult,
  type Tensor,
  type TrainingConfig,
  type TrainingState,
} from '@gradscope/core';
import { TFJS_BACKEND_NAME, activateDevice, type TfjsDevice } from './device.js';
import { tfjsShape, toTfjsLayout, toTorchLayout } from './params.js';
import { createRecurrentProbes, recurrentForward } from './recurrent.js';
import { deadUnitFractions, residualForward, type WeightTensors } from './residual.js';
import { tfjsSupports } from './supports.js';
import { checkLabels, lossTensor } from './train.js';

/** What one forward + backward pass brings back to the host. Gradients are in tfjs layout, in `state_dict` order. */
interface PassResult {
  readonly loss: number;
  readonly output?: Float32Array;
  readonly grads: Float32Array[];
  readonly norms?: ArchitectureNorms;
}

/** A spec realized on tfjs: weights are tf variables in tfjs layout under their PyTorch names. */
export class TfjsModel implements Model {
  readonly spec: NetworkSpec;
  readonly backend = TFJS_BACKEND_NAME;
  readonly device: TfjsDevice;
  private readonly shapes: readonly ParamShape[];
  private readonly variables: Record<string, tf.Variable>;
  private readonly onDispose: () => void;
  private training?: { config: TrainingConfig; state: OptimizerState; host: Record<string, Float32Array> };
  private disposed = false;

  /** Use `TfjsBackend.createModel`: `params` must already be validated against the spec. */
  constructor(spec: NetworkSpec, params: ParamSet, device: TfjsDevice, onDispose: () => void) {
    this.spec = spec;
    this.device = device;
    this.onDispose = onDispose;
    this.shapes = paramShapes(spec);
    this.variables = {};
    for (const { name } of this.shapes) {
      const t = toTfjsLayout(params[name]!);
      // tidy frees the initial tensor's handle; the variable keeps the data (tidy never disposes variables).
      this.variables[name] = tf.tidy(() => tf.variable(tf.tensor(t.data, [...t.shape]), true, undefined, 'float32'));
    }
  }

  async forward(input: Tensor): Promise<Tensor> {
    await this.ready();
    const { batch } = checkInput(this.spec, input);
    const out = tf.tidy(() => this.run(tf.tensor(input.data, [...input.shape])).output);
    try {
      return { shape: [batch, this.spec.outputSize], data: (await out.data()) as Float32Array };
    } finally {
      out.dispose();
    }
  }

  async computeGradients(batch: Batch, loss: LossName): Promise<GradientResult> {
    await this.ready();
    this.checkBatch(batch, loss);
    const pass = await this.pass(batch, loss, true, true);
    const grads: ParamSet = {};
    this.shapes.forEach(({ name, shape }, i) => (grads[name] = toTorchLayout(pass.grads[i]!, shape)));
    return { output: { shape: [batch.input.shape[0]!, this.spec.outputSize], data: pass.output! }, loss: pass.loss, grads, ...pass.norms };
  }

  configureTraining(config: TrainingConfig): void {
    this.assertLive();
    assertTrainingSupported({ name: TFJS_BACKEND_NAME, supports: tfjsSupports }, config);
    this.training = { config, state: createOptimizerState(), host: this.downloadSync() };
  }

  async trainStep(batch: Batch, options: StepOptions = {}): Promise<StepResult> {
    await this.ready();
    const training = this.training;
    if (!training) throw new GradscopeError('NOT_CONFIGURED', 'trainStep() needs configureTraining() first');
    this.checkBatch(batch, training.config.loss);
    const monitor = options.report === true;
    const pass = await this.pass(batch, training.config.loss, monitor, false);
    const step = training.state.step + 1;
    if (!Number.isFinite(pass.loss)) throw new NonFiniteLossError(step, pass.loss);
    const grads: Record<string, Float32Array> = {};
    this.shapes.forEach(({ name }, i) => (grads[name] = pass.grads[i]!));
    // Clip -> schedule -> optimizer on the host (measured faster than doing it in tf ops on wasm; see README).
    const applied = applyTrainingStep(training.config, training.state, training.host, grads, monitor);
    this.upload(training.host);
    const result = { step, loss: pass.loss, lr: applied.lr, gradNorm: applied.gradNorm, clipCoef: applied.clipCoef };
    if (!monitor) return result;
    const report: GradientReport = { ...result, params: applied.params!, ...pass.norms };
    return { ...result, report };
  }

  async getParams(): Promise<ParamSet> {
    await this.ready();
    const host = this.downloadSync();
    const out: ParamSet = {};
    for (const { name, shape } of this.shapes) out[name] = toTorchLayout(host[name]!, shape);
    return out;
  }

  async setParams(params: ParamSet): Promise<void> {
    await this.ready();
    const ordered = validateParams(this.spec, params);
    const host: Record<string, Float32Array> = {};
    for (const { name } of this.shapes) host[name] = toTfjsLayout(ordered[name]!).data;
    this.upload(host);
    if (this.training) this.training.host = host;
  }

  async getTrainingState(): Promise<TrainingState> {
    this.assertLive();
    const state = this.training?.state ?? createOptimizerState();
    const slots: OptimizerState['slots'] = {};
    for (const [slot, bufs] of Object.entries(state.slots)) {
      slots[slot] = {};
      for (const { name, shape } of this.shapes) {
        const b = bufs[name];
        if (b) slots[slot][name] = toTorchLayout(Float32Array.from(b), shape).data;
      }
    }
    return { step: state.step, optimizer: { step: state.step, slots } };
  }

  async setTrainingState(state: TrainingState): Promise<void> {
    this.assertLive();
    if (!this.training) throw new GradscopeError('NOT_CONFIGURED', 'setTrainingState() needs configureTraining() first');
    const known = new Map(this.shapes.map((s) => [s.name, s.shape]));
    const slots: OptimizerState['slots'] = {};
    const unexpected: string[] = [];
    const wrongShape: { name: string; expected: readonly number[]; actual: readonly number[] }[] = [];
    for (const [slot, bufs] of Object.entries(state.optimizer.slots)) {
      slots[slot] = {};
      for (const [name, data] of Object.entries(bufs)) {
        const shape = known.get(name);
        if (!shape) unexpected.push(`${slot}.${name}`);
        else if (data.length !== shape.reduce((a, b) => a * b, 1)) wrongShape.push({ name: `${slot}.${name}`, expected: shape, actual: [data.length] });
        else slots[slot][name] = toTfjsLayout({ shape, data: Float32Array.from(data) }).data;
      }
    }
    if (unexpected.length || wrongShape.length) throw new ParamError([], unexpected, wrongShape, 'optimizer state');
    this.training.state = { step: state.step, slots };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of Object.values(this.variables)) v.dispose();
    this.training = undefined;
    this.onDispose();
  }

  private assertLive(): void {
    if (this.disposed) throw new DisposedError(`tfjs model (${this.spec.kind})`);
  }

  private async ready(): Promise<void> {
    this.assertLive();
    await activateDevice(this.device);
  }

  private checkBatch(batch: Batch, loss: LossName): void {
    checkBatch(this.spec, batch, loss);
    checkLabels(loss, batch.target, this.spec.outputSize);
  }

  private weights(): WeightTensors {
    return this.variables;
  }

  private run(x: tf.Tensor): { output: tf.Tensor } {
    return this.spec.kind === 'residual' ? residualForward(this.spec, this.weights(), x) : { output: recurrentForward(this.spec, this.weights(), x) };
  }

  /**
   * One forward + backward pass with tf.valueAndGrads over the weights and, when monitoring, zero probe tensors
   * added to every block output / h_t / c_t (and the input itself), so every gradient of the report comes out
   * of the same backward pass. Unmonitored passes add no probes and compute no extra norms. The norms are taken
   * on the host in float64 from one concatenated download (fewer tf ops than norms on the device: see README).
   */
  private async pass(batch: Batch, loss: LossName, monitor: boolean, wantOutput: boolean): Promise<PassResult> {
    const spec = this.spec;
    const kept: tf.Tensor[] = [];
    const keep = (t: tf.Tensor): tf.Tensor => {
      kept.push(tf.keep(t));
      return t;
    };
    const [batchSize, steps] = batch.input.shape as [number, number];
    let output: tf.Tensor | undefined;
    let activations: tf.Tensor | undefined;
    const result = tf.tidy(() => {
      const x = tf.tensor(batch.input.data, [...batch.input.shape]);
      const target = tf.tensor(batch.target.data, [...batch.target.shape]);
      const residualProbes = monitor && spec.kind === 'residual' ? Array.from({ length: spec.depth }, () => tf.zeros([batchSize, spec.width])) : [];
      const recurrentProbes = monitor && spec.kind === 'recurrent' ? createRecurrentProbes(spec, batchSize, steps) : undefined;
      const probes = recurrentProbes ? [...recurrentProbes.hidden.flat(), ...(recurrentProbes.cell?.flat() ?? [])] : residualProbes;
      const withInput = recurrentProbes !== undefined;
      const weights = this.shapes.map(({ name }) => this.variables[name]!);
      const lossOf = (): tf.Scalar => {
        let out: tf.Tensor;
        if (spec.kind === 'residual') {
          const trace = residualForward(spec, this.weights(), x, residualProbes, monitor);
          if (trace.activations?.length) activations = keep(tf.concat(trace.activations.flat(), 1));
          out = trace.output;
        } else {
          out = recurrentForward(spec, this.weights(), x, recurrentProbes);
        }
        if (wantOutput) output = keep(out);
        return lossTensor(loss, out, target);
      };
      // tf.valueAndGrads differentiates with respect to exactly these tensors (by identity): lossOf reads them by closure.
      const { value, grads } = tf.valueAndGrads(lossOf)([...probes, ...(withInput ? [x] : []), ...weights]);
      const weightGrads = grads.slice(probes.length + (withInput ? 1 : 0));
      if (!monitor) return { value, weightGrads };
      const flat = grads.slice(0, probes.length + (withInput ? 1 : 0)).map((g) => tf.reshape(g, [-1]));
      return { value, weightGrads, reportGrads: flat.length ? tf.concat(flat) : undefined };
    });
    try {
      const lossValue = (await result.value.data())[0]!;
      const grads = (await Promise.all(result.weightGrads.map((g) => g.data()))) as Float32Array[];
      const out = output ? ((await output.data()) as Float32Array) : undefined;
      if (!monitor) return { loss: lossValue, grads, output: out };
      const reportGrads = result.reportGrads ? ((await result.reportGrads.data()) as Float32Array) : new Float32Array(0);
      let norms: ArchitectureNorms;
      if (spec.kind === 'residual') {
        const acts = activations ? ((await activations.data()) as Float32Array) : new Float32Array(0);
        norms = {
          blockOutputGradNorms: chunkNorms(reportGrads, 0, spec.depth, batchSize * spec.width),
          deadUnitFractions: deadUnitFractions(acts, batchSize, spec.depth, spec.block.layers * spec.width),
        };
      } else {
        norms = recurrentNorms(spec.cell === 'lstm', spec.numLayers, steps, batchSize, spec.hiddenSize, spec.inputSize, reportGrads);
      }
      return { loss: lossValue, grads, output: out, norms };
    } finally {
      tf.dispose([result.value, ...result.weightGrads, ...(result.reportGrads ? [result.reportGrads] : []), ...kept]);
    }
  }

  private downloadSync(): Record<string, Float32Array> {
    const host: Record<string, Float32Array> = {};
    // A copy: on the cpu backend dataSync returns the tensor's own array, and the optimizer updates host arrays in place.
    for (const { name } of this.shapes) host[name] = (this.variables[name]!.dataSync() as Float32Array).slice();
    return host;
  }

  private upload(host: Record<string, Float32Array>): void {
    tf.tidy(() => {
      for (const { name, shape } of this.shapes) this.variables[name]!.assign(tf.tensor(host[name]!.slice(), tfjsShape(shape)));
    });
  }
}

/** L2 norms (float64) of `count` consecutive chunks of `size` values starting at `offset`. */
function chunkNorms(data: Float32Array, offset: number, count: number, size: number): number[] {
  return Array.from({ length: count }, (_, i) => l2Norm(data.subarray(offset + i * size, offset + (i + 1) * size)));
}

/**
 * The recurrent report from the concatenated probe gradients: `[layer][t]` dL/dh_t chunks, then dL/dc_t (LSTM),
 * then dL/dx `[batch, T, inputSize]`, whose per-step norms are taken over batch and features.
 */
function recurrentNorms(lstm: boolean, layers: number, steps: number, batch: number, hidden: number, inputSize: number, data: Float32Array): ArchitectureNorms {
  const chunk = batch * hidden;
  const grid = (offset: number): number[][] =>
    Array.from({ length: layers }, (_, k) => chunkNorms(data, offset + k * steps * chunk, steps, chunk));
  const hiddenGradNorms = grid(0);
  const cellGradNorms = lstm ? grid(layers * steps * chunk) : undefined;
  const inputStart = (lstm ? 2 : 1) * layers * steps * chunk;
  const inputSq = new Float64Array(steps);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < steps; t++) {
      const base = inputStart + (b * steps + t) * inputSize;
      for (let i = 0; i < inputSize; i++) inputSq[t] = inputSq[t]! + data[base + i]! ** 2;
    }
  }
  const inputGradNorms = Array.from(inputSq, Math.sqrt);
  return cellGradNorms ? { hiddenGradNorms, cellGradNorms, inputGradNorms } : { hiddenGradNorms, inputGradNorms };
}
