import * as tf from '@tensorflow/tfjs';
import {
  HostTrainedModel,
  paramShapes,
  validateParams,
  type ArchitectureNorms,
  type ModelSpec,
  type OptimizerState,
  type ParamSet,
  type ParamShape,
  type StepResult,
  type Tensor,
  type TrainingConfig,
  type TrainingState,
} from '@gradscope/core';
import { TFJS_BACKEND_NAME, activateDevice, type TfjsDevice } from './device.js';
import { tfjsSupports } from './supports.js';

const tfjsIdentity = { name: TFJS_BACKEND_NAME, supports: tfjsSupports };

/** How a model keeps a PyTorch-layout tensor in its tf variable, and back (both give fresh arrays). */
export interface VariableLayout {
  toRuntime(t: Tensor): Tensor;
  toTorch(data: Float32Array, torchShape: readonly number[]): Tensor;
}

/** Variables in PyTorch layout as they are. */
export const torchLayout: VariableLayout = {
  toRuntime: (t) => ({ shape: [...t.shape], data: t.data.slice() }),
  toTorch: (data, torchShape) => ({ shape: [...torchShape], data: data.slice() }),
};

/**
 * What every tfjs model shares, whatever its forward pass: the weights as tf variables under their PyTorch names,
 * the optimizer on the host (core's `HostTrainedModel` on downloaded gradients, then one upload), parameters and
 * training state in PyTorch layout at the contract, and dispose. Subclasses add forward, gradients and checks.
 */
export abstract class TfjsModelBase<S extends ModelSpec> extends HostTrainedModel<S> {
  readonly device: TfjsDevice;
  /** Every `state_dict` float tensor of the spec, in order. */
  protected readonly shapes: readonly ParamShape[];
  /** The tensors the optimizer updates: all of `shapes` but BatchNorm's running statistics. */
  protected readonly trainable: readonly ParamShape[];
  protected readonly variables: Record<string, tf.Variable> = {};
  /** Once training is configured: the trainable weights on the host (runtime layout), updated, then uploaded. */
  private host: Record<string, Float32Array> | undefined;

  /** `params` must already be validated against the spec (the backend does that). */
  constructor(
    spec: S,
    params: ParamSet,
    device: TfjsDevice,
    private readonly onDispose: () => void,
    private readonly layout: VariableLayout,
  ) {
    super(tfjsIdentity, spec);
    this.device = device;
    this.shapes = paramShapes(spec);
    this.trainable = this.shapes.filter((p) => p.trainable !== false);
    for (const { name, trainable } of this.shapes) {
      const t = layout.toRuntime(params[name]!);
      // tidy frees the initial tensor's handle; the variable keeps the data (tidy never disposes variables).
      this.variables[name] = tf.tidy(() => tf.variable(tf.tensor(t.data, [...t.shape]), trainable !== false, undefined, 'float32'));
    }
  }

  override configureTraining(config: TrainingConfig): void {
    super.configureTraining(config);
    this.host = this.downloadTrainable();
  }

  /** Every tensor of `paramShapes` (running statistics included), in PyTorch layout. */
  async getParams(): Promise<ParamSet> {
    await this.ready();
    const out: ParamSet = {};
    for (const { name, shape } of this.shapes) out[name] = this.layout.toTorch(this.variables[name]!.dataSync() as Float32Array, shape);
    return out;
  }

  async setParams(params: ParamSet): Promise<void> {
    await this.ready();
    const ordered = validateParams(this.spec, params);
    tf.tidy(() => {
      for (const { name } of this.shapes) this.variables[name]!.assign(tf.tensor(this.layout.toRuntime(ordered[name]!).data, this.variables[name]!.shape));
    });
    if (this.host) this.host = this.downloadTrainable();
  }

  /** Optimizer buffers in PyTorch layout (the host keeps them in runtime layout, beside the host weights). */
  override async getTrainingState(): Promise<TrainingState> {
    const { step, optimizer } = await super.getTrainingState();
    return { step, optimizer: { step, slots: this.convertSlots(optimizer.slots, (data, shape) => this.layout.toTorch(data, shape).data) } };
  }

  override async setTrainingState(state: TrainingState): Promise<void> {
    await super.setTrainingState(state);
    this.optimizer = { step: state.step, slots: this.convertSlots(this.optimizer.slots, (data, shape) => this.layout.toRuntime({ shape, data }).data) };
  }

  protected release(): void {
    for (const v of Object.values(this.variables)) v.dispose();
    this.host = undefined;
    this.onDispose();
  }

  protected async ready(): Promise<void> {
    this.assertLive();
    await activateDevice(this.device);
  }

  /** Runs `compute` in a tf.tidy and downloads its `[batch, outputSize]` result, freeing it afterwards. */
  protected async download(batch: number, compute: () => tf.Tensor): Promise<Tensor> {
    const out = tf.tidy(compute);
    try {
      return { shape: [batch, this.spec.outputSize], data: (await out.data()) as Float32Array };
    } finally {
      out.dispose();
    }
  }

  /**
   * The optimizer step on the host — clip -> schedule -> optimizer (measured faster than in tf ops on wasm; see
   * README) — on the gradients of `trainable` (runtime layout, in order), then one upload of the new weights.
   */
  protected trainOnHost(loss: number, grads: readonly Float32Array[], monitor: boolean, norms?: ArchitectureNorms): StepResult {
    const host = this.host!;
    const byName: Record<string, Float32Array> = {};
    this.trainable.forEach(({ name }, i) => (byName[name] = grads[i]!));
    const result = this.applyStep(loss, host, byName, monitor, norms);
    if (result.nonFinite) return result;
    tf.tidy(() => {
      for (const { name } of this.trainable) this.variables[name]!.assign(tf.tensor(host[name]!.slice(), this.variables[name]!.shape));
    });
    return result;
  }

  private downloadTrainable(): Record<string, Float32Array> {
    const host: Record<string, Float32Array> = {};
    // A copy: on the cpu backend dataSync returns the tensor's own array, and the optimizer updates host arrays in place.
    for (const { name } of this.trainable) host[name] = (this.variables[name]!.dataSync() as Float32Array).slice();
    return host;
  }

  private convertSlots(slots: OptimizerState['slots'], convert: (data: Float32Array, shape: readonly number[]) => Float32Array): OptimizerState['slots'] {
    const out: OptimizerState['slots'] = {};
    for (const [slot, buffers] of Object.entries(slots)) {
      out[slot] = {};
      for (const { name, shape } of this.shapes) {
        const b = buffers[name];
        if (b) out[slot][name] = convert(Float32Array.from(b), shape);
      }
    }
    return out;
  }
}
