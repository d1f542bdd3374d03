import * as tf from '@tensorflow/tfjs';
import { gruLayer } from './recurrent.js';

export interface TorchGRUArgs {
  readonly units: number;
  readonly returnSequences?: boolean;
  readonly name?: string;
}

/**
 * PyTorch's GRU as a tfjs layer: the reset-after form `n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))` with gates
 * `r,z,n`, zero initial state and batch-first input. tfjs-layers' own GRU rejects `reset_after`, so an exported
 * GRU uses this layer. It is registered with tfjs' serialization under `GradscopeTorchGRU`: importing
 * `@gradscope/tfjs` is all `tf.loadLayersModel` needs to read a saved GRU model back.
 *
 * Weights, in order: `kernel [in, 3H]` (= weight_ih^T), `recurrent_kernel [H, 3H]` (= weight_hh^T),
 * `input_bias [3H]` (= bias_ih), `recurrent_bias [3H]` (= bias_hh).
 */
export class TorchGRU extends tf.layers.Layer {
  static readonly className = 'GradscopeTorchGRU';
  readonly units: number;
  readonly returnSequences: boolean;
  private weightsByRole?: { kernel: tf.LayerVariable; recurrentKernel: tf.LayerVariable; inputBias: tf.LayerVariable; recurrentBias: tf.LayerVariable };

  constructor(args: TorchGRUArgs) {
    super(args.name === undefined ? {} : { name: args.name });
    this.units = args.units;
    this.returnSequences = args.returnSequences ?? false;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const inF = shape[shape.length - 1]!;
    const gates = 3 * this.units;
    const add = (name: string, s: number[]): tf.LayerVariable => this.addWeight(name, s, 'float32', tf.initializers.zeros());
    this.weightsByRole = {
      kernel: add('kernel', [inF, gates]),
      recurrentKernel: add('recurrent_kernel', [this.units, gates]),
      inputBias: add('input_bias', [gates]),
      recurrentBias: add('recurrent_bias', [gates]),
    };
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = inputShape as tf.Shape;
    return this.returnSequences ? [s[0]!, s[1]!, this.units] : [s[0]!, this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      const w = this.weightsByRole!;
      const hs = gruLayer(this.units, { kernel: w.kernel.read(), recurrentKernel: w.recurrentKernel.read(), inputBias: w.inputBias.read(), recurrentBias: w.recurrentBias.read() }, x);
      return this.returnSequences ? tf.stack(hs, 1) : hs[hs.length - 1]!;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units, returnSequences: this.returnSequences };
  }
}

tf.serialization.registerClass(TorchGRU);
