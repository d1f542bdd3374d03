import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { NotSupportedError, initParams, parseSpec, relativeError, type NetworkSpecInput, type Tensor } from '@gradscope/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTfjsBackend, type TfjsBackend } from './backend.js';
import { saveLayersModel, toLayersModel } from './export.js';

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
];

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

  it('refuses a GRU with a NotSupportedError that says why', () => {
    const spec = parseSpec({ kind: 'recurrent', cell: 'gru', inputSize: 2, hiddenSize: 3, outputSize: 1 });
    const call = (): unknown => toLayersModel(spec, initParams(spec, { seed: 0 }));
    expect(call).toThrow(NotSupportedError);
    expect(call).toThrow(/reset_after/);
  });
});

describe('saveLayersModel', () => {
  it.each([specs[0]!, specs[5]!])('%s: writes model.json + weights.bin that plain tfjs loads back with the same predictions', async (_, raw, inputShape) => {
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
      const loaded = await tf.loadLayersModel(
        tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0]!.weights, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) }),
      );
      expect(Array.from(await predict(loaded, input))).toEqual(Array.from(await predict(model, input)));
      loaded.dispose();
    } finally {
      model.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
