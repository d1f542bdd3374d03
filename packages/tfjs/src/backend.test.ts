import * as tf from '@tensorflow/tfjs';
import {
  BACKEND_SPECIFICATION_VERSION,
  DisposedError,
  NotSupportedError,
  ParamError,
  ShapeError,
  initParams,
  parseSpec,
  parseTrainingConfig,
  type Batch,
} from '@gradscope/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTfjsBackend } from './backend.js';
import { convBatch, convParams, convSpec, imagenetProjection } from './__fixtures__/conv-cases.js';

const residual = parseSpec({ kind: 'residual', inputSize: 3, outputSize: 2, width: 4, depth: 2, block: { activation: 'relu' } });
const lstm = parseSpec({ kind: 'recurrent', cell: 'lstm', inputSize: 2, hiddenSize: 4, outputSize: 1 });

function batchFor(spec: typeof residual | typeof lstm, size = 4, steps = 5): Batch {
  const inShape = spec.kind === 'residual' ? [size, spec.inputSize] : [size, steps, spec.inputSize];
  const n = inShape.reduce((a, b) => a * b, 1);
  return {
    input: { shape: inShape, data: Float32Array.from({ length: n }, (_, i) => Math.sin(i)) },
    target: { shape: [size, spec.outputSize], data: Float32Array.from({ length: size * spec.outputSize }, (_, i) => Math.cos(i)) },
  };
}

afterEach(() => vi.restoreAllMocks());

describe('createTfjsBackend', () => {
  it('runs on wasm by default in Node and declares the v1 contract', async () => {
    const backend = await createTfjsBackend();
    expect(backend.runtime).toEqual({ name: '@tensorflow/tfjs', version: '4.22.0', device: 'wasm', threads: 1 });
    expect(backend.specificationVersion).toBe(BACKEND_SPECIFICATION_VERSION);
    expect(backend.name).toBe('tfjs');
    expect(tf.getBackend()).toBe('wasm');
    await backend.dispose();
  });

  it('runs on cpu only when asked, and switches tfjs to the model device for each call', async () => {
    const cpu = await createTfjsBackend({ backend: 'cpu' });
    const wasm = await createTfjsBackend();
    const params = initParams(residual, { seed: 1 });
    const a = await cpu.createModel(residual, params);
    const b = await wasm.createModel(residual, params);
    const input = batchFor(residual).input;
    const ya = await a.forward(input);
    expect(tf.getBackend()).toBe('cpu');
    const yb = await b.forward(input);
    expect(tf.getBackend()).toBe('wasm');
    Array.from(ya.data).forEach((v, i) => expect(v).toBeCloseTo(yb.data[i]!, 5));
    await cpu.dispose();
    await wasm.dispose();
  });

  it('throws a NotSupportedError for a device tfjs cannot set, without falling back', async () => {
    const before = tf.getBackend();
    const attempt = createTfjsBackend({ backend: 'webgpu' });
    await expect(attempt).rejects.toBeInstanceOf(NotSupportedError);
    await expect(createTfjsBackend({ backend: 'webgpu' })).rejects.toThrow(/device "webgpu"/);
    expect(tf.getBackend()).toBe(before);
  });

  it('prints nothing while creating, training, monitoring and disposing', async () => {
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) => vi.spyOn(console, m));
    const backend = await createTfjsBackend();
    const model = await backend.createModel(lstm, initParams(lstm, { seed: 2 }));
    model.configureTraining(parseTrainingConfig({ optimizer: { type: 'adam', lr: 0.01 } }));
    await model.trainStep(batchFor(lstm), { report: true });
    await model.computeGradients(batchFor(lstm), 'mse');
    await backend.dispose();
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  });
});

describe('typed errors', () => {
  it('lists every parameter problem in a ParamError', async () => {
    const backend = await createTfjsBackend();
    const params = initParams(residual, { seed: 0 });
    const { ['head.bias']: _dropped, ...rest } = params;
    const bad = { ...rest, 'stem.weight': { shape: [3, 4], data: new Float32Array(12) }, extra: { shape: [1], data: new Float32Array(1) } };
    const attempt = backend.createModel(residual, bad);
    await expect(attempt).rejects.toBeInstanceOf(ParamError);
    await expect(backend.createModel(residual, bad)).rejects.toThrow(/missing: head\.bias[\s\S]*unexpected: extra[\s\S]*stem\.weight: expected shape \[4, 3\], got \[3, 4\]/);
    await backend.dispose();
  });

  it('names the expected shape of a bad input or target, and rejects a bad class label', async () => {
    const backend = await createTfjsBackend();
    const model = await backend.createModel(residual, initParams(residual, { seed: 0 }));
    await expect(model.forward({ shape: [2, 5], data: new Float32Array(10) })).rejects.toThrow(new ShapeError('input: expected shape [batch, 3], got [2, 5]'));
    const { input } = batchFor(residual);
    await expect(model.computeGradients({ input, target: { shape: [4, 3], data: new Float32Array(12) } }, 'mse')).rejects.toThrow(ShapeError);
    await expect(model.computeGradients({ input, target: { shape: [4], data: Float32Array.from([0, 1, 2, 1]) } }, 'crossEntropy')).rejects.toThrow(
      'crossEntropy target[2] = 2 is not a class index in [0, 2)',
    );
    await backend.dispose();
  });

  it('declares every cell, activation and report field of DESIGN.md (what the conformance suite gates on)', async () => {
    const backend = await createTfjsBackend();
    expect(backend.supports.recurrent.cells).toEqual(['lstm', 'gru', 'rnn']);
    expect(backend.supports.residual.variants).toEqual(['dense', 'conv']);
    expect(backend.supports.residual.activations).toEqual(['relu', 'tanh', 'sigmoid', 'leakyRelu', 'gelu', 'linear']);
    expect(backend.supports.report).toHaveLength(5);
    await backend.dispose();
  });
});

describe('dispose', () => {
  it('frees every variable and makes the model throw DisposedError', async () => {
    const start = tf.memory().numTensors;
    const backend = await createTfjsBackend();
    const model = await backend.createModel(lstm, initParams(lstm, { seed: 0 }));
    expect(tf.memory().numTensors).toBeGreaterThan(start);
    await model.dispose();
    await model.dispose(); // idempotent
    expect(tf.memory().numTensors).toBe(start);
    await expect(model.forward(batchFor(lstm).input)).rejects.toBeInstanceOf(DisposedError);
    await expect(model.getParams()).rejects.toThrow('tfjs model was used after dispose()');
    expect(() => model.configureTraining(parseTrainingConfig({ optimizer: { type: 'sgd', lr: 0.1 } }))).toThrow(DisposedError);
    await backend.dispose();
  });

  it('backend.dispose() disposes its models and refuses new ones', async () => {
    const start = tf.memory().numTensors;
    const backend = await createTfjsBackend();
    const model = await backend.createModel(residual, initParams(residual, { seed: 0 }));
    await backend.dispose();
    expect(tf.memory().numTensors).toBe(start);
    await expect(model.forward(batchFor(residual).input)).rejects.toBeInstanceOf(DisposedError);
    await expect(backend.createModel(residual, initParams(residual, { seed: 0 }))).rejects.toBeInstanceOf(DisposedError);
  });
});

describe('no leaks', () => {
  it('1,000 monitored training steps leave tf.memory().numTensors unchanged', async () => {
    const backend = await createTfjsBackend();
    const model = await backend.createModel(residual, initParams(residual, { seed: 0 }));
    model.configureTraining(parseTrainingConfig({ optimizer: { type: 'adam', lr: 1e-3 }, clip: { type: 'norm', maxNorm: 1 } }));
    const batch = batchFor(residual);
    await model.trainStep(batch, { report: true });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 1000; i++) await model.trainStep(batch, { report: true });
    expect(tf.memory().numTensors).toBe(before);
    await backend.dispose();
  });

  it('recurrent monitored steps, gradients and forwards leave tf.memory().numTensors unchanged', async () => {
    const backend = await createTfjsBackend();
    const model = await backend.createModel(lstm, initParams(lstm, { seed: 0 }));
    model.configureTraining(parseTrainingConfig({ optimizer: { type: 'sgd', lr: 0.1, momentum: 0.9 }, clip: { type: 'value', clipValue: 0.5 } }));
    const batch = batchFor(lstm);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) {
      await model.trainStep(batch, { report: i % 2 === 0 });
      await model.computeGradients(batch, 'mse');
      await model.forward(batch.input);
      await model.setParams(await model.getParams());
    }
    expect(tf.memory().numTensors).toBe(before);
    await backend.dispose();
  });

  it('conv (BatchNorm train and eval): monitored and plain steps, gradients, forwards and setParams leave tf.memory().numTensors unchanged', async () => {
    const spec = convSpec(imagenetProjection);
    const tfjs = await createTfjsBackend();
    const start = tf.memory().numTensors;
    const model = await tfjs.createModel(spec, convParams(spec, 2));
    model.configureTraining(parseTrainingConfig({ optimizer: { type: 'adam', lr: 1e-3 }, clip: { type: 'norm', maxNorm: 1 } }));
    const batch = convBatch(spec, 'mse', 3, 4);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 6; i++) {
      model.setBatchNormMode(i < 4 ? 'train' : 'eval');
      await model.trainStep(batch, { report: i % 2 === 0 });
      await model.computeGradients(batch, 'mse');
      await model.forward(batch.input);
      await model.setParams(await model.getParams());
    }
    expect(tf.memory().numTensors).toBe(before);
    await model.dispose();
    expect(tf.memory().numTensors).toBe(start);
    await tfjs.dispose();
  });
});
