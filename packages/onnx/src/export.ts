import { isConvResidual, validateParams, type ModelSpec, type ParamSet, type RecurrentSpec } from '@gradscope/core';
import { convForward } from './conv.js';
import { Graph } from './graph.js';
import { onnxRecurrentWeights, paramArrays } from './params.js';
import { linear, residualForward } from './residual.js';

const BATCH = 'batch';
const SEQUENCE = 'sequence';

export interface ExportOptions {
  /** Stored as the model's producer version. */
  readonly producerVersion?: string;
}

/**
 * A standard inference `.onnx` model of a spec with its weights (opset 17, IR version 8): input `input`
 * (`[batch, inputSize]` or `[batch, sequence, inputSize]`, batch and sequence length free), output `output`
 * `[batch, outputSize]`, weights as initializers. Recurrent layers are ONNX's own LSTM/GRU/RNN ops (gates reordered
 * from PyTorch's order, GRU with `linear_before_reset=1`, layout 0 behind a Transpose), so the file runs in any ONNX
 * runtime and reads naturally in Netron. A conv spec (`variant: "conv"`) takes NCHW input `[batch, C, H, W]` and is
 * its BatchNorm eval-mode inference graph: native Conv, BatchNormalization on the running statistics, MaxPool,
 * GlobalAveragePool and Gemm. The spec is kept as JSON in the model's doc string.
 */
export function exportOnnx(spec: ModelSpec, params: ParamSet, options: ExportOptions = {}): Uint8Array {
  const arrays = paramArrays(validateParams(spec, params));
  const g = new Graph(isConvResidual(spec) ? 'gradscope_conv' : spec.kind === 'residual' ? 'gradscope_residual' : `gradscope_${spec.cell}`);
  const weight = (name: string): string => (g.has(name) ? name : g.initializer(name, params[name]!.shape, arrays[name]!));
  let y: string;
  if (isConvResidual(spec)) {
    const x = g.input('input', [BATCH, spec.inputChannels, ...spec.inputSize]);
    y = convForward(g, spec, x, weight, 'eval').output;
  } else if (spec.kind === 'residual') {
    const x = g.input('input', [BATCH, spec.inputSize]);
    y = residualForward(g, spec, x, weight).output;
  } else {
    const x = g.input('input', [BATCH, SEQUENCE, spec.inputSize]);
    y = recurrentExport(g, spec, x, arrays, weight);
  }
  g.output(g.rename(y, 'output'));
  return g.toModel({
    producerName: 'gradscope',
    ...(options.producerVersion ? { producerVersion: options.producerVersion } : {}),
    docString: JSON.stringify(spec),
  });
}

function recurrentExport(g: Graph, spec: RecurrentSpec, x: string, arrays: Record<string, Float32Array>, weight: (n: string) => string): string {
  const H = spec.hiddenSize;
  const gates = { lstm: 4, gru: 3, rnn: 1 }[spec.cell];
  const opType = { lstm: 'LSTM', gru: 'GRU', rnn: 'RNN' }[spec.cell];
  // ORT rejects layout=1 (batch-first) for recurrent ops: run time-major behind a Transpose.
  let seq = g.op1('Transpose', [x], { perm: [1, 0, 2] });
  let last = '';
  for (let k = 0; k < spec.numLayers; k++) {
    const inF = k === 0 ? spec.inputSize : H;
    const w = onnxRecurrentWeights(spec, arrays, k);
    const prefix = `${spec.cell}_l${k}`;
    const W = g.initializer(`${prefix}.W`, [1, gates * H, inF], w.w);
    const R = g.initializer(`${prefix}.R`, [1, gates * H, H], w.r);
    const B = g.initializer(`${prefix}.B`, [1, 2 * gates * H], w.b);
    const attrs = { hidden_size: H, ...(spec.cell === 'gru' ? { linear_before_reset: 1 } : {}) };
    const [y, yh] = g.opWithShapes(opType, [seq, W, R, B], attrs, [
      [SEQUENCE, 1, BATCH, H],
      [1, BATCH, H],
    ]);
    seq = g.op1('Squeeze', [y!, g.constInt64([1])]);
    last = yh!;
  }
  const hLast = g.op1('Squeeze', [last, g.constInt64([0])]);
  return linear(g, hLast, weight, 'fc');
}
