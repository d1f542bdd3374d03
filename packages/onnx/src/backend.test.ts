import { readFileSync } from 'node:fs';
import {
  DisposedError,
  parseSpec,
  ShapeError,
  type GradientResult,
  type ParamSet,
  type Tensor,
} from '@gradscope/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createOnnxBackend } from './backend.js';
import { relErr } from './test-helpers.js';

interface JsonTensor {
  shape: number[];
  data: number[];
}

interface Golden {
  name: string;
  spec: unknown;
  loss: 'mse' | 'crossEntropy';
  params: Record<string, JsonTensor>;
  input: JsonTensor;
  target: JsonTensor;
  output: JsonTensor;
  lossValue: number;
  grads: Record<string, JsonTensor>;
  blockOutputGradNorms?: number[];
  deadUnitFractions?: number[];
  hiddenGradNorms?: number[][];
  cellGradNorms?: number[][];
  inputGradNorms?: number[];
}

const goldens = (JSON.parse(readFileSync(new URL('./__fixtures__/goldens.json', import.meta.url), 'utf8')) as { cases: Golden[] }).cases;

const tensorOf = (t: JsonTensor): Tensor => ({ shape: t.shape, data: Float32Array.from(t.data) });
const paramsOf = (g: Golden): ParamSet => Object.fromEntries(Object.entries(g.params).map(([n, t]) => [n, tensorOf(t)]));

/** Each value of a norm series within `tol` of itself (DESIGN.md: norms span many decades). */
function expectNorms(actual: readonly number[] | undefined, expected: readonly number[], tol = 1e-3): void {
  expect(actual).toHaveLength(expected.length);
  expected.forEach((e, i) => expect(Math.abs(actual![i]! - e), `norm ${i}: ${actual![i]} vs ${e}`).toBeLessThanOrEqual(tol * Math.abs(e) + 1e-12));
}

const backend = createOnnxBackend();
afterAll(() => backend.dispose());

describe('onnx backend against PyTorch float64 goldens (scripts/make-goldens.py)', () => {
  for (const golden of goldens) {
    it(`${golden.name}: forward 1e-5, gradients 1e-4, report norms 1e-3`, async () => {
      const spec = parseSpec(golden.spec);
      const model = await backend.createModel(spec, paramsOf(golden));
      const input = tensorOf(golden.input);
      const y = await model.forward(input);
      expect(y.shape).toEqual(golden.output.shape);
      expect(relErr(y.data, golden.output.data)).toBeLessThan(1e-5);

      const r = await model.computeGradients({ input, target: tensorOf(golden.target) }, golden.loss);
      expect(relErr(r.output.data, golden.output.data)).toBeLessThan(1e-5);
      expect(Math.abs(r.loss - golden.lossValue) / Math.abs(golden.lossValue)).toBeLessThan(1e-5);
      expect(Object.keys(r.grads)).toEqual(Object.keys(golden.grads));
      for (const [name, g] of Object.entries(golden.grads)) {
        expect(r.grads[name]!.shape, name).toEqual(g.shape);
        expect(relErr(r.grads[name]!.data, g.data), name).toBeLessThan(1e-4);
      }
      if (golden.blockOutputGradNorms) expectNorms(r.blockOutputGradNorms, golden.blockOutputGradNorms);
      if (golden.deadUnitFractions) expect(relErr(r.deadUnitFractions!, golden.deadUnitFractions)).toBeLessThan(1e-6);
      if (golden.hiddenGradNorms) golden.hiddenGradNorms.forEach((row, k) => expectNorms(r.hiddenGradNorms?.[k], row));
      if (golden.cellGradNorms) golden.cellGradNorms.forEach((row, k) => expectNorms(r.cellGradNorms?.[k], row));
      else expect(r.cellGradNorms).toBeUndefined();
      if (golden.inputGradNorms) expectNorms(r.inputGradNorms, golden.inputGradNorms);
      await model.dispose();
    });
  }
});

describe('concurrency', () => {
  it('concurrent calls on one model and on several models give the same numbers as sequential calls', async () => {
    const cases = goldens.slice(0, 4);
    const models = await Promise.all(cases.map((g) => backend.createModel(parseSpec(g.spec), paramsOf(g))));
    const batches = cases.map((g) => ({ input: tensorOf(g.input), target: tensorOf(g.target) }));
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
  const spec = parseSpec(goldens[0]!.spec);
  const params = paramsOf(goldens[0]!);

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
