import { DisposedError, initParams, parseSpec, ShapeError, type GradientResult, type Tensor } from '@gradscope/core';
import { loadGoldenCases } from '@gradscope/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { createOnnxBackend } from './backend.js';

const backend = createOnnxBackend();
afterAll(() => backend.dispose());

describe('concurrency', () => {
  it('concurrent calls on one model and on several models give the same numbers as sequential calls', async () => {
    const cases = loadGoldenCases(['residual', 'recurrent']).filter((_, i) => i % 9 === 0).slice(0, 4);
    const models = await Promise.all(cases.map((g) => backend.createModel(g.spec, g.params)));
    const batches = cases.map((g) => g.batch);
    const sequential: GradientResult[] = [];
    for (let i = 0; i < models.length; i++) sequential.push(await models[i]!.computeGradients(batches[i]!, cases[i]!.loss));
    const parallel = await Promise.all(
      models.flatMap((m, i) => [m.computeGradients(batches[i]!, cases[i]!.loss), m.forward(batches[i]!.input), m.computeGradients(batches[i]!, cases[i]!.loss)]),
    );
    models.forEach((_, i) => {
      const [a, y, b] = parallel.slice(3 * i, 3 * i + 3) as [GradientResult, Tensor, GradientResult];
      expect(a.loss).toBe(sequential[i]!.loss);
      expect(b.loss).toBe(sequential[i]!.loss);
      expect(y.data).toEqual(sequential[i]!.output.data);
      for (const name of Object.keys(a.grads)) expect(a.grads[name]!.data).toEqual(sequential[i]!.grads[name]!.data);
    });
    await Promise.all(models.map((m) => m.dispose()));
  });
});

describe('onnx backend errors', () => {
  const spec = parseSpec({ kind: 'residual', inputSize: 4, outputSize: 3, width: 6, depth: 2, block: { activation: 'relu' } });
  const params = initParams(spec, { seed: 1 });

  it('rejects an input of the wrong shape with a ShapeError before onnxruntime sees it', async () => {
    const model = await backend.createModel(spec, params);
    await expect(model.forward({ shape: [2, 5], data: new Float32Array(10) })).rejects.toThrow(ShapeError);
    await expect(model.forward({ shape: [2, 5], data: new Float32Array(10) })).rejects.toThrow('input: expected shape [batch, 4], got [2, 5]');
    await expect(model.computeGradients({ input: { shape: [2, 4], data: new Float32Array(8) }, target: { shape: [2], data: Float32Array.from([0, 3]) } }, 'crossEntropy')).rejects.toThrow(
      'crossEntropy target[1] = 3 is not a class index in [0, 3)',
    );
    await model.dispose();
  });

  it('throws DisposedError after dispose and releases its sessions', async () => {
    const model = await backend.createModel(spec, params);
    await model.forward({ shape: [1, 4], data: new Float32Array(4) });
    await model.forward({ shape: [2, 4], data: new Float32Array(8) });
    expect((model as unknown as { sessionCount: number }).sessionCount).toBe(2);
    await model.dispose();
    expect((model as unknown as { sessionCount: number }).sessionCount).toBe(0);
    await expect(model.forward({ shape: [1, 4], data: new Float32Array(4) })).rejects.toThrow(DisposedError);
    await expect(model.getParams()).rejects.toThrow(DisposedError);
    await model.dispose();
  });

  it('names a missing parameter', async () => {
    const { ['head.bias']: _dropped, ...rest } = params;
    await expect(backend.createModel(spec, rest)).rejects.toThrow('missing: head.bias');
  });
});

describe('device', () => {
  it('runs the same graph on onnxruntime-node and on wasm, reports which, and agrees to float32 rounding', async () => {
    const spec = parseSpec({ kind: 'recurrent', cell: 'lstm', inputSize: 2, hiddenSize: 5, numLayers: 1, outputSize: 1 });
    const params = initParams(spec, { seed: 3 });
    const x = { shape: [4, 7, 2], data: Float32Array.from({ length: 56 }, (_, i) => Math.sin(i)) };
    const y = { shape: [4, 1], data: Float32Array.from([0.1, -0.2, 0.3, 0.4]) };
    const outputs: Float32Array[] = [];
    for (const device of ['wasm', 'node'] as const) {
      const backend = createOnnxBackend({ device });
      expect(backend.runtime).toMatchObject({ name: device === 'node' ? 'onnxruntime-node' : 'onnxruntime-web', device, threads: 1 });
      const model = await backend.createModel(spec, params);
      const report = await model.computeGradients({ input: x, target: y }, 'mse');
      outputs.push(report.grads['lstm.weight_hh_l0']!.data);
      await backend.dispose();
    }
    const [wasm, node] = outputs;
    const scale = Math.max(...wasm!.map(Math.abs));
    for (let i = 0; i < wasm!.length; i++) expect(Math.abs(node![i]! - wasm![i]!)).toBeLessThan(1e-5 * scale);
  });

  it('names an unknown device', () => {
    expect(() => createOnnxBackend({ device: 'gpu' as never })).toThrow('onnx device: expected one of wasm|node, got "gpu"');
  });
});
