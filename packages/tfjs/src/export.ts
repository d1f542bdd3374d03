import * as tf from '@tensorflow/tfjs';
import {
  isConvResidual,
  planConv,
  runConvPlan,
  validateParams,
  type Activation,
  type ConvResidualSpec,
  type ModelSpec,
  type ParamSet,
  type RecurrentSpec,
  type ResidualSpec,
  type Tensor,
} from '@gradscope/core';
import { BN_EPS } from './conv.js';
import { kerasRecurrentWeights, toTfjsLayout } from './params.js';
import { TorchGRU } from './torch-gru-layer.js';

type SymbolicTensor = tf.SymbolicTensor;

/** Keras activation names for DESIGN.md's activations; leakyRelu gets its own layer (slope 0.01, not tfjs' 0.2). */
const kerasActivation: Record<Exclude<Activation, 'leakyRelu'>, 'relu' | 'tanh' | 'sigmoid' | 'gelu' | 'linear'> = {
  relu: 'relu',
  tanh: 'tanh',
  sigmoid: 'sigmoid',
  gelu: 'gelu', // tfjs-layers' gelu is the exact erf form
  linear: 'linear',
};

const toTf = (t: Tensor): tf.Tensor => tf.tensor(t.data, [...t.shape]);

/** Builds layers with placeholder zeros, then loads the real weights (so no random initializer runs). */
function setWeights(layer: tf.layers.Layer, weights: readonly Tensor[]): void {
  const tensors = weights.map(toTf);
  layer.setWeights(tensors);
  tf.dispose(tensors);
}

function dense(x: SymbolicTensor, name: string, units: number, activation: Activation, params: ParamSet, pending: (() => void)[]): SymbolicTensor {
  const layer = tf.layers.dense({
    units,
    name: name.replaceAll('.', '_'),
    activation: activation === 'leakyRelu' ? 'linear' : kerasActivation[activation],
    kernelInitializer: 'zeros',
  });
  const y = layer.apply(x) as SymbolicTensor;
  pending.push(() => setWeights(layer, [toTfjsLayout(params[`${name}.weight`]!), params[`${name}.bias`]!]));
  return activation === 'leakyRelu' ? (tf.layers.leakyReLU({ alpha: 0.01, name: `${name.replaceAll('.', '_')}_act` }).apply(y) as SymbolicTensor) : y;
}

function residualModel(spec: ResidualSpec, params: ParamSet): tf.LayersModel {
  const pending: (() => void)[] = [];
  const act = spec.block.activation;
  const input = tf.input({ shape: [spec.inputSize], name: 'input' });
  let h = dense(input, 'stem', spec.width, act, params, pending);
  for (let i = 0; i < spec.depth; i++) {
    let f = h;
    for (let j = 0; j < spec.block.layers; j++) f = dense(f, `blocks.${i}.${j}`, spec.width, act, params, pending);
    h = spec.block.skip === 'identity' ? (tf.layers.add({ name: `blocks_${i}_add` }).apply([h, f]) as SymbolicTensor) : f;
  }
  const output = dense(h, 'head', spec.outputSize, 'linear', params, pending);
  const model = tf.model({ inputs: input, outputs: output, name: 'gradscope_residual' });
  for (const load of pending) load();
  return model;
}

function recurrentModel(spec: RecurrentSpec, params: ParamSet): tf.LayersModel {
  const cell = spec.cell;
  const pending: (() => void)[] = [];
  const input = tf.input({ shape: [null, spec.inputSize], name: 'input' });
  let h: SymbolicTensor = input;
  for (let k = 0; k < spec.numLayers; k++) {
    const common = {
      units: spec.hiddenSize,
      activation: 'tanh' as const,
      returnSequences: k < spec.numLayers - 1,
      kernelInitializer: 'zeros' as const,
      recurrentInitializer: 'zeros' as const,
      name: `${cell}_l${k}`,
    };
    if (cell === 'gru') {
      // tfjs-layers' GRU rejects reset_after, so it cannot compute PyTorch's GRU: a registered layer that does.
      const layer = new TorchGRU({ units: spec.hiddenSize, returnSequences: common.returnSequences, name: common.name });
      h = layer.apply(h) as SymbolicTensor;
      const get = (n: string): Tensor => params[`gru.${n}_l${k}`]!;
      pending.push(() => setWeights(layer, [toTfjsLayout(get('weight_ih')), toTfjsLayout(get('weight_hh')), get('bias_ih'), get('bias_hh')]));
      continue;
    }
    // recurrentActivation is tfjs' hardSigmoid by default: PyTorch's LSTM gates use the exact sigmoid.
    const layer = cell === 'lstm' ? tf.layers.lstm({ ...common, recurrentActivation: 'sigmoid', unitForgetBias: false }) : tf.layers.simpleRNN(common);
    h = layer.apply(h) as SymbolicTensor;
    const w = kerasRecurrentWeights(params, cell, k);
    pending.push(() => setWeights(layer, [w.kernel, w.recurrentKernel, w.bias]));
  }
  const output = dense(h, 'fc', spec.outputSize, 'linear', params, pending);
  const model = tf.model({ inputs: input, outputs: output, name: `gradscope_${cell}` });
  for (const load of pending) load();
  return model;
}

/** PyTorch `[o, i, kh, kw]` -> Keras `[kh, kw, i, o]`. */
function kerasKernel(t: Tensor): Tensor {
  const [o, i, kh, kw] = t.shape as [number, number, number, number];
  const data = new Float32Array(t.data.length);
  for (let a = 0; a < o; a++) {
    for (let b = 0; b < i; b++) {
      for (let u = 0; u < kh; u++) for (let v = 0; v < kw; v++) data[((u * kw + v) * i + b) * o + a] = t.data[((a * i + b) * kh + u) * kw + v]!;
    }
  }
  return { shape: [kh, kw, i, o], data };
}

function convModel(spec: ConvResidualSpec, params: ParamSet): tf.LayersModel {
  const pending: (() => void)[] = [];
  const layerName = (name: string): string => name.replaceAll('.', '_');
  const apply = <L extends tf.layers.Layer>(layer: L, x: SymbolicTensor | SymbolicTensor[]): SymbolicTensor => layer.apply(x) as SymbolicTensor;
  // PyTorch pads symmetrically; tfjs' "same" does not for even sizes and strides, so pad explicitly and convolve "valid".
  const conv = (x: SymbolicTensor, name: string, k: number, stride: number, pad: number): SymbolicTensor => {
    const weight = params[`${name}.weight`]!;
    const padded = pad > 0 ? apply(tf.layers.zeroPadding2d({ padding: [[pad, pad], [pad, pad]], name: `${layerName(name)}_pad` }), x) : x;
    const layer = tf.layers.conv2d({ filters: weight.shape[0]!, kernelSize: k, strides: stride, padding: 'valid', useBias: false, kernelInitializer: 'zeros', name: layerName(name) });
    const y = apply(layer, padded);
    pending.push(() => setWeights(layer, [kerasKernel(weight)]));
    return y;
  };
  // Eval-mode BatchNorm: Keras' inference path normalizes with the moving (running) statistics.
  const bn = (x: SymbolicTensor, name: string): SymbolicTensor => {
    const layer = tf.layers.batchNormalization({ axis: -1, epsilon: BN_EPS, name: layerName(name) });
    const y = apply(layer, x);
    pending.push(() => setWeights(layer, ['weight', 'bias', 'running_mean', 'running_var'].map((p) => params[`${name}.${p}`]!)));
    return y;
  };
  const input = tf.input({ shape: [spec.inputChannels, ...spec.inputSize], name: 'input' });
  // NCHW in, as PyTorch; NHWC inside, the layout every tfjs backend runs conv2d in.
  const nhwc = apply(tf.layers.permute({ dims: [2, 3, 1], name: 'nchw_to_nhwc' }), input);
  const { output } = runConvPlan(planConv(spec), {
    convBn: (x, unit) => {
      const y = conv(x, unit.conv, unit.kernel, unit.stride, unit.pad);
      return unit.bn === undefined ? y : bn(y, unit.bn);
    },
    relu: (x, name) => apply(tf.layers.reLU({ name: `${layerName(name)}_relu` }), x),
    add: (a, b, name) => apply(tf.layers.add({ name: `${layerName(name)}_add` }), [a, b]),
    // nn.MaxPool2d(3, 2, padding=1) pads with -inf; after the ReLU every value is >= 0, so zero padding gives the same maxima.
    maxPool: (x) => apply(tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'valid', name: 'maxpool' }), apply(tf.layers.zeroPadding2d({ padding: [[1, 1], [1, 1]], name: 'maxpool_pad' }), x)),
    zeroPadShortcut: (x, s, b) => zeroPadShortcutLayer(x, b.name, b.layout.inChannels, b.layout.outChannels, s.stride, s.before, pending),
    head: (x, name) => {
      const fc = tf.layers.dense({ units: spec.outputSize, kernelInitializer: 'zeros', name });
      pending.push(() => setWeights(fc, [toTfjsLayout(params[`${name}.weight`]!), params[`${name}.bias`]!]));
      return apply(fc, apply(tf.layers.globalAveragePooling2d({ name: 'avgpool' }), x));
    },
  }, nhwc);
  const model = tf.model({ inputs: input, outputs: output, name: 'gradscope_resnet' });
  for (const load of pending) load();
  return model;
}

/**
 * He et al.'s option-A shortcut as one frozen 1×1 conv with stride s: the weight copies channel c to channel
 * c + before (the plan's zero channels ahead of the old ones) and leaves the others zero, which is `x[:, :, ::s, ::s]` zero-padded exactly (products with 1 and 0).
 */
function zeroPadShortcutLayer(x: SymbolicTensor, name: string, inC: number, outC: number, stride: number, before: number, pending: (() => void)[]): SymbolicTensor {
  const layer = tf.layers.conv2d({ filters: outC, kernelSize: 1, strides: stride, padding: 'valid', useBias: false, trainable: false, kernelInitializer: 'zeros', name: `${name.replaceAll('.', '_')}_zeropad_shortcut` });
  const y = layer.apply(x) as SymbolicTensor;
  const kernel = new Float32Array(inC * outC);
  for (let c = 0; c < inC; c++) kernel[c * outC + c + before] = 1;
  pending.push(() => setWeights(layer, [{ shape: [1, 1, inC, outC], data: kernel }]));
  return y;
}

/**
 * A `tf.LayersModel` computing the same function as the spec with these (PyTorch-layout) parameters: standard
 * dense / add / leakyReLU / lstm / simpleRNN layers with explicit activations; a GRU uses the registered
 * `TorchGRU` layer (tfjs-layers' own GRU cannot express PyTorch's reset-after GRU). A conv spec becomes NCHW input
 * permuted to NHWC, zeroPadding2d + conv2d ("valid"), batchNormalization in inference form (PyTorch's eval mode,
 * running statistics), maxPooling2d, add, globalAveragePooling2d and dense.
 */
export function toLayersModel(spec: ModelSpec, params: ParamSet): tf.LayersModel {
  const ordered = validateParams(spec, params);
  if (isConvResidual(spec)) return convModel(spec, ordered);
  return spec.kind === 'residual' ? residualModel(spec, ordered) : recurrentModel(spec, ordered);
}

/**
 * Writes `model.json` and `weights.bin` into `dir` (Node), the layout `tf.loadLayersModel` reads. tfjs' own
 * `file://` saver needs tfjs-node, so this saves through `tf.io.withSaveHandler`, with core's atomic writer (a
 * symbolic link at either path is refused). Returns the two paths.
 */
export async function saveLayersModel(model: tf.LayersModel, dir: string): Promise<{ modelJson: string; weights: string }> {
  // Node only, so imported here: a browser bundle of this package never loads it.
  const { ensureDirectory, writeFilesAtomic } = await import('@gradscope/core/node');
  const { join } = await import('node:path');
  const paths = { modelJson: join(dir, 'model.json'), weights: join(dir, 'weights.bin') };
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightData = tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology!,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
        convertedBy: 'gradscope',
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      };
      await ensureDirectory(dir);
      // weights first: a reader that sees the new model.json also finds the weights it names
      await writeFilesAtomic([
        { path: paths.weights, data: new Uint8Array(weightData) },
        { path: paths.modelJson, data: JSON.stringify(modelJson) },
      ]);
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  return paths;
}
