import { mkdtemp, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ParamError, initParams, parseSpec, relativeError, type NetworkSpecInput, type Tensor } from '@gradscope/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTfjsBackend, type TfjsBackend } from './backend.js';
import { saveLayersModel, toLayersModel } from './export.js';
import { TorchGRU } from './torch-gru-layer.js';
import { cifarZeropad, convBatch, convParams, convSpec, imagenetProjection } from './__fixtures__/conv-cases.js';

let backend: TfjsBackend;
beforeAll(async () => {
  backend = await createTfjsBackend();
});
afterAll(() => backend.dispose());

function randomInput(shape: number[], seed: number): Tensor {
  let s = seed;
  const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => ((s = (s * 16807) % 2147483647) / 2147483647) * 4 - 2);
  return { shape, data };
}

async function predict(model: tf.LayersModel, input: Tensor): Promise<Float32Array> {
  const x = tf.tensor(input.data, [...input.shape]);
  const y = model.predict(x) as tf.Tensor;
  const out = (await y.data()) as Float32Array;
  tf.dispose([x, y]);
  return out;
}

const specs: [string, NetworkSpecInput, number[]][] = [
  ['residual relu 2-layer blocks', { kind: 'residual', inputSize: 4, outputSize: 3, width: 8, depth: 3, block: { layers: 2, activation: 'relu' } }, [5, 4]],
  ['plain leakyRelu', { kind: 'residual', inputSize: 4, outputSize: 2, width: 8, depth: 2, block: { activation: 'leakyRelu', skip: 'none' } }, [5, 4]],
  ['residual gelu', { kind: 'residual', inputSize: 3, outputSize: 2, width: 6, depth: 2, block: { activation: 'gelu' } }, [5, 3]],
  ['residual sigmoid', { kind: 'residual', inputSize: 3, outputSize: 2, width: 6, depth: 2, block: { activation: 'sigmoid' } }, [5, 3]],
  ['residual tanh', { kind: 'residual', inputSize: 3, outputSize: 2, width: 6, depth: 2, block: { activation: 'tanh' } }, [5, 3]],
  ['lstm 2 layers', { kind: 'recurrent', cell: 'lstm', inputSize: 3, hiddenSize: 5, numLayers: 2, outputSize: 2 }, [4, 7, 3]],
  ['tanh rnn 2 layers', { kind: 'recurrent', cell: 'rnn', inputSize: 3, hiddenSize: 5, numLayers: 2, outputSize: 2 }, [4, 7, 3]],
  ['gru 2 layers (TorchGRU layer)', { kind: 'recurrent', cell: 'gru', inputSize: 3, hiddenSize: 5, numLayers: 2, outputSize: 2 }, [4, 7, 3]],
];

/** Loads what saveLayersModel wrote with plain tfjs (from memory: tfjs-node's file:// handler is not installed). */
async function loadSaved(paths: { modelJson: string; weights: string }): Promise<tf.LayersModel> {
  const json = JSON.parse(await readFile(paths.modelJson, 'utf8')) as tf.io.ModelJSON;
  const bin = await readFile(paths.weights);
  const weightData = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength);
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0]!.weights, weightData }));
}

describe('toLayersModel', () => {
  it.each(specs)('%s: predict matches the adapter forward within 1e-5', async (_, raw, inputShape) => {
    const spec = parseSpec(raw);
    const params = initParams(spec, { seed: 3 });
    const input = randomInput(inputShape, 11);
    const adapter = await backend.createModel(spec, params);
    const expected = await adapter.forward(input);
    const layers = toLayersModel(spec, params);
    expect(relativeError(await predict(layers, input), expected.data)).toBeLessThanOrEqual(1e-5);
    layers.dispose();
    await adapter.dispose();
  });

  it('writes a standard LSTM layer with the sigmoid recurrent activation and one bias', () => {
    const spec = parseSpec(specs[5]![1]);
    const model = toLayersModel(spec, initParams(spec, { seed: 1 }));
    const lstm = model.getLayer('lstm_l0').getConfig();
    expect(lstm).toMatchObject({ recurrentActivation: 'sigmoid', activation: 'tanh', units: 5, returnSequences: true });
    expect(model.getLayer('lstm_l0').getWeights().map((w) => w.shape)).toEqual([[3, 20], [5, 20], [20]]);
    model.dispose();
  });

  it('exports a GRU through the registered TorchGRU layer, not tfjs-layers’ GRU (which cannot compute PyTorch’s)', () => {
    const spec = parseSpec(specs[7]![1]);
    const model = toLayersModel(spec, initParams(spec, { seed: 1 }));
    const gru = model.getLayer('gru_l0');
    expect(gru).toBeInstanceOf(TorchGRU);
    expect(gru.getClassName()).toBe('GradscopeTorchGRU');
    expect(gru.getWeights().map((w) => w.shape)).toEqual([[3, 15], [5, 15], [15], [15]]);
    expect(model.layers.some((l) => l.getClassName() === 'GRU')).toBe(false);
    model.dispose();
  });
});

it('toLayersModel checks the parameters against the spec (ParamError naming each problem)', () => {
  const spec = parseSpec(specs[0]![1]);
  const { ['head.bias']: _dropped, ...rest } = initParams(spec, { seed: 0 });
  expect(() => toLayersModel(spec, rest)).toThrow(ParamError);
  expect(() => toLayersModel(spec, rest)).toThrow(/missing: head\.bias/);
});

describe('toLayersModel for conv specs', () => {
  const convCases: [string, Record<string, unknown>][] = [
    ['cifar stem, zero-pad shortcut (odd size)', cifarZeropad],
    ['imagenet stem (max-pool), projection shortcut', imagenetProjection],
    ['projection at stride 1 (channels change), even size', { inputSize: 8, stem: 'imagenet', shortcut: 'projection', stages: [{ blocks: 1, channels: 2 }, { blocks: 1, channels: 4 }] }],
    ['plain network without BatchNorm', { ...cifarZeropad, skip: 'none', norm: 'none' }],
  ];
  it.each(convCases)('%s: predict on NCHW input matches the adapter eval-mode forward within 1e-5', async (_, raw) => {
    const spec = convSpec(raw);
    const params = convParams(spec, 4);
    const input = convBatch(spec, 'mse', 3, 8).input;
    const adapter = await backend.createModel(spec, params);
    adapter.setBatchNormMode('eval');
    const expected = await adapter.forward(input);
    const layers = toLayersModel(spec, params);
    const err = relativeError(await predict(layers, input), expected.data);
    expect(err).toBeLessThanOrEqual(1e-5);
    layers.dispose();
    await adapter.dispose();
  });

  it('uses the standard layers, with PyTorch padding made explicit and BatchNorm in inference form', () => {
    const spec = convSpec(imagenetProjection);
    const model = toLayersModel(spec, convParams(spec, 1));
    const classes = new Set(model.layers.map((l) => l.getClassName()));
    expect([...classes].sort()).toEqual(['Add', 'BatchNormalization', 'Conv2D', 'Dense', 'GlobalAveragePooling2D', 'InputLayer', 'MaxPooling2D', 'Permute', 'ReLU', 'ZeroPadding2D']);
    expect(model.getLayer('conv1').getConfig()).toMatchObject({ kernelSize: [7, 7], strides: [2, 2], padding: 'valid', useBias: false });
    expect(model.getLayer('conv1').getWeights()[0]!.shape).toEqual([7, 7, 2, 3]);
    expect(model.getLayer('layer2_0_downsample_1').getConfig()).toMatchObject({ epsilon: 1e-5 });
    expect(model.inputs[0]!.shape).toEqual([null, 2, 13, 11]);
    model.dispose();
  });

  it('saves with saveLayersModel and loads back in plain tfjs with the same predictions (zero-pad shortcut included)', async () => {
    const spec = convSpec(cifarZeropad);
    const model = toLayersModel(spec, convParams(spec, 2));
    const input = convBatch(spec, 'mse', 2, 5).input;
    const dir = await mkdtemp(join(tmpdir(), 'gradscope-tfjs-conv-'));
    try {
      const paths = await saveLayersModel(model, dir);
      const loaded = await loadSaved(paths);
      expect(Array.from(await predict(loaded, input))).toEqual(Array.from(await predict(model, input)));
      loaded.dispose();
    } finally {
      model.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('saveLayersModel', () => {
  it.each([specs[0]!, specs[5]!, specs[7]!])('%s: writes model.json + weights.bin that plain tfjs loads back with the same predictions', async (_, raw, inputShape) => {
    const spec = parseSpec(raw);
    const model = toLayersModel(spec, initParams(spec, { seed: 5 }));
    const input = randomInput(inputShape, 3);
    const dir = await mkdtemp(join(tmpdir(), 'gradscope-tfjs-'));
    try {
      const paths = await saveLayersModel(model, dir);
      expect(paths).toEqual({ modelJson: join(dir, 'model.json'), weights: join(dir, 'weights.bin') });
      const json = JSON.parse(await readFile(paths.modelJson, 'utf8')) as tf.io.ModelJSON;
      expect(json.format).toBe('layers-model');
      expect(json.weightsManifest[0]!.paths).toEqual(['weights.bin']);
      const bin = await readFile(paths.weights);
      const floats = json.weightsManifest[0]!.weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
      expect(bin.byteLength).toBe(floats * 4);
      const loaded = await loadSaved(paths);
      expect(Array.from(await predict(loaded, input))).toEqual(Array.from(await predict(model, input)));
      loaded.dispose();
    } finally {
      model.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each(['model.json', 'weights.bin'])('refuses a symbolic link planted as %s and writes neither file', async (name) => {
    const spec = parseSpec({ kind: 'residual', inputSize: 2, outputSize: 1, width: 3, depth: 1 });
    const model = toLayersModel(spec, initParams(spec, { seed: 0 }));
    const dir = await mkdtemp(join(tmpdir(), 'gradscope-tfjs-link-'));
    try {
      const victim = join(dir, 'victim.txt');
      await writeFile(victim, 'precious');
      await symlink(victim, join(dir, name));
      await expect(saveLayersModel(model, dir)).rejects.toThrow(`refusing to write ${join(dir, name)}: it is a symbolic link`);
      expect(await readFile(victim, 'utf8')).toBe('precious');
      expect(await readlink(join(dir, name))).toBe(victim);
      const other = name === 'model.json' ? 'weights.bin' : 'model.json';
      await expect(readFile(join(dir, other))).rejects.toThrow('ENOENT');
    } finally {
      model.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
