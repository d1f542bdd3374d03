import * as tf from '@tensorflow/tfjs';
import { NotSupportedError, validateParams, type Activation, type NetworkSpec, type ParamSet, type RecurrentSpec, type ResidualSpec, type Tensor } from '@gradscope/core';
import { TFJS_BACKEND_NAME } from './device.js';
import { kerasRecurrentWeights, toTfjsLayout } from './params.js';

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
  if (spec.cell === 'gru') {
    throw new NotSupportedError(
      TFJS_BACKEND_NAME,
      'exporting a GRU to a tf.LayersModel',
      "PyTorch's GRU applies the reset gate after the recurrent matMul (reset_after, with a separate b_hn) and tfjs-layers' GRU " +
        'rejects reset_after=true, so a tf.layers.gru would compute a different function; use the ONNX export for GRUs',
    );
  }
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

/**
 * A standard `tf.LayersModel` (dense / add / lstm / simpleRNN layers with explicit activations) computing the
 * same function as the spec with these (PyTorch-layout) parameters. GRUs throw `NotSupportedError` (see README).
 */
export function toLayersModel(spec: NetworkSpec, params: ParamSet): tf.LayersModel {
  const ordered = validateParams(spec, params);
  return spec.kind === 'residual' ? residualModel(spec, ordered) : recurrentModel(spec, ordered);
}

/**
 * Writes `model.json` and `weights.bin` into `dir` (Node), the layout `tf.loadLayersModel` reads. tfjs' own
 * `file://` saver needs tfjs-node, so this saves through `tf.io.withSaveHandler`. Returns the two paths.
 */
export async function saveLayersModel(model: tf.LayersModel, dir: string): Promise<{ modelJson: string; weights: string }> {
  const { mkdir, writeFile } = await import('node:fs/promises');
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
      await mkdir(dir, { recursive: true });
      await writeFile(paths.modelJson, JSON.stringify(modelJson));
      await writeFile(paths.weights, new Uint8Array(weightData));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  return paths;
}
