import * as tf from '@tensorflow/tfjs';
import {
  checkBatch,
  checkLabels,
  checkInput,
  l2Norm,
  type ArchitectureNorms,
  type Batch,
  type GradientResult,
  type LossName,
  type NetworkSpec,
  type ParamSet,
  type StepOptions,
  type StepResult,
  type Tensor,
} from '@gradscope/core';
import type { TfjsDevice } from './device.js';
import { valueAndGrads } from './gradients.js';
import { TfjsModelBase } from './model-base.js';
import { toTfjsLayout, toTorchLayout } from './params.js';
import { recurrentForward, recurrentProbeCount, recurrentProbeGrid } from './recurrent.js';
import { deadUnitFractions, residualForward } from './residual.js';
import { lossTensor } from './loss.js';

/** What one forward + backward pass brings back to the host. Gradients are in tfjs layout, in `state_dict` order. */
interface PassResult {
  readonly loss: number;
  readonly output?: Float32Array;
  readonly grads: Float32Array[];
  readonly norms?: ArchitectureNorms;
}

/** A dense residual or recurrent spec realized on tfjs: weights are tf variables in tfjs layout under their PyTorch names. */
export class TfjsModel extends TfjsModelBase<NetworkSpec> {
  /** Use `TfjsBackend.createModel`: `params` must already be validated against the spec. */
  constructor(spec: NetworkSpec, params: ParamSet, device: TfjsDevice, onDispose: () => void) {
    super(spec, params, device, onDispose, { toRuntime: toTfjsLayout, toTorch: toTorchLayout });
  }

  async forward(input: Tensor): Promise<Tensor> {
    await this.ready();
    const { batch } = checkInput(this.spec, input);
    return this.download(batch, () => this.run(tf.tensor(input.data, [...input.shape])).output);
  }

  async computeGradients(batch: Batch, loss: LossName): Promise<GradientResult> {
    await this.ready();
    this.checkBatch(batch, loss);
    const pass = await this.pass(batch, loss, true, true);
    const grads: ParamSet = {};
    this.shapes.forEach(({ name, shape }, i) => (grads[name] = toTorchLayout(pass.grads[i]!, shape)));
    return { output: { shape: [batch.input.shape[0]!, this.spec.outputSize], data: pass.output! }, loss: pass.loss, grads, ...pass.norms };
  }

  async trainStep(batch: Batch, options: StepOptions = {}): Promise<StepResult> {
    await this.ready();
    const config = this.configured();
    this.checkBatch(batch, config.loss);
    const monitor = options.report === true;
    const pass = await this.pass(batch, config.loss, monitor, false);
    return this.trainOnHost(pass.loss, pass.grads, monitor, pass.norms);
  }

  private checkBatch(batch: Batch, loss: LossName): void {
    checkBatch(this.spec, batch, loss);
    if (loss === 'crossEntropy') checkLabels(batch.target.data, this.spec.outputSize);
  }

  private run(x: tf.Tensor): { output: tf.Tensor } {
    return this.spec.kind === 'residual' ? residualForward(this.spec, this.variables, x) : { output: recurrentForward(this.spec, this.variables, x) };
  }

  /**
   * One forward + backward pass with tf.valueAndGrads over the weights and, when monitoring, zero probe tensors
   * added to every block output / h_t / c_t (and the input itself), so every gradient of the report comes out
   * of the same backward pass. Unmonitored passes add no probes and compute no extra norms. The norms are taken
   * on the host in float64 (fewer tf ops than norms on the device).
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
    // Tensors that outlive the tidy (its results and the kept ones) are freed in `finally`, also when a step throws.
    let result: { value: tf.Tensor; weightGrads: tf.Tensor[]; probeGrad?: tf.Tensor; inputGrad?: tf.Tensor } | undefined;
    try {
      result = tf.tidy(() => {
        const x = tf.tensor(batch.input.data, [...batch.input.shape]);
        const target = tf.tensor(batch.target.data, [...batch.target.shape]);
        // All probes are slices of one zero tensor `[count, batch, width]`: its gradient arrives as one tensor
        // (one op and one download instead of one per probe).
        const probeCount = !monitor ? 0 : spec.kind === 'residual' ? spec.depth : recurrentProbeCount(spec, steps);
        const probeWidth = spec.kind === 'residual' ? spec.width : spec.hiddenSize;
        const probeSource = probeCount > 0 ? tf.zeros([probeCount, batchSize, probeWidth]) : undefined;
        const withInput = monitor && spec.kind === 'recurrent';
        const sources = [...(probeSource ? [probeSource] : []), ...(withInput ? [x] : [])];
        const weights = this.shapes.map(({ name }) => this.variables[name]!);
        const lossOf = (): tf.Scalar => {
          // Sliced inside the differentiated function, so the slices' gradients flow back into probeSource.
          const probes = !probeSource ? [] : probeCount === 1 ? [tf.reshape(probeSource, [batchSize, probeWidth])] : tf.unstack(probeSource);
          let out: tf.Tensor;
          if (spec.kind === 'residual') {
            const trace = residualForward(spec, this.variables, x, probes, monitor);
            if (trace.activations?.length) activations = keep(tf.concat(trace.activations.flat(), 1));
            out = trace.output;
          } else {
            out = recurrentForward(spec, this.variables, x, monitor ? recurrentProbeGrid(spec, steps, probes) : undefined);
          }
          if (wantOutput) output = keep(out);
          return lossTensor(loss, out, target);
        };
        const { value, grads } = valueAndGrads(lossOf, [...sources, ...weights]);
        const reportGrads = grads.slice(0, sources.length);
        return { value, weightGrads: grads.slice(sources.length), probeGrad: probeSource ? reportGrads[0] : undefined, inputGrad: withInput ? reportGrads.at(-1) : undefined };
      });
      const lossValue = (await result.value.data())[0]!;
      const grads = (await Promise.all(result.weightGrads.map((g) => g.data()))) as Float32Array[];
      const out = output ? ((await output.data()) as Float32Array) : undefined;
      if (!monitor) return { loss: lossValue, grads, output: out };
      const probeGrads = result.probeGrad ? ((await result.probeGrad.data()) as Float32Array) : new Float32Array(0);
      let norms: ArchitectureNorms;
      if (spec.kind === 'residual') {
        const acts = activations ? ((await activations.data()) as Float32Array) : new Float32Array(0);
        norms = {
          blockOutputGradNorms: chunkNorms(probeGrads, 0, spec.depth, batchSize * spec.width),
          deadUnitFractions: deadUnitFractions(acts, batchSize, spec.depth, spec.block.layers * spec.width),
        };
      } else {
        const inputGrad = (await result.inputGrad!.data()) as Float32Array;
        norms = recurrentNorms(spec.cell === 'lstm', spec.numLayers, steps, batchSize, spec.hiddenSize, spec.inputSize, probeGrads, inputGrad);
      }
      return { loss: lossValue, grads, output: out, norms };
    } finally {
      const owned = result ? [result.value, ...result.weightGrads, result.probeGrad, result.inputGrad] : [];
      tf.dispose([...owned.filter((t) => t !== undefined), ...kept]);
    }
  }
}

/** L2 norms (float64) of `count` consecutive chunks of `size` values starting at `offset`. */
function chunkNorms(data: Float32Array, offset: number, count: number, size: number): number[] {
  return Array.from({ length: count }, (_, i) => l2Norm(data.subarray(offset + i * size, offset + (i + 1) * size)));
}

/**
 * The recurrent report from the probe gradients — `[layer][t]` dL/dh_t chunks, then dL/dc_t (LSTM) — and dL/dx
 * `[batch, T, inputSize]`, whose per-step norms are taken over batch and features.
 */
function recurrentNorms(lstm: boolean, layers: number, steps: number, batch: number, hidden: number, inputSize: number, probes: Float32Array, input: Float32Array): ArchitectureNorms {
  const chunk = batch * hidden;
  const grid = (offset: number): number[][] =>
    Array.from({ length: layers }, (_, k) => chunkNorms(probes, offset + k * steps * chunk, steps, chunk));
  const hiddenGradNorms = grid(0);
  const cellGradNorms = lstm ? grid(layers * steps * chunk) : undefined;
  const inputSq = new Float64Array(steps);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < steps; t++) {
      const base = (b * steps + t) * inputSize;
      for (let i = 0; i < inputSize; i++) inputSq[t] = inputSq[t]! + input[base + i]! ** 2;
    }
  }
  const inputGradNorms = Array.from(inputSq, Math.sqrt);
  return cellGradNorms ? { hiddenGradNorms, cellGradNorms, inputGradNorms } : { hiddenGradNorms, inputGradNorms };
}
