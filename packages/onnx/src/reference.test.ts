import { activations, cellTypes, parseSpec, parseTrainingConfig, type LossName, type NetworkSpec, type Tensor } from '@gradscope/core';
import { createReferenceBackend } from '@gradscope/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { createOnnxBackend } from './backend.js';
import { relErr, seededRandom, torchLikeInit, uniform } from './test-helpers.js';

const onnx = createOnnxBackend();
const reference = createReferenceBackend();
afterAll(async () => {
  await onnx.dispose();
  await reference.dispose();
});

function batchFor(spec: NetworkSpec, loss: LossName, batch: number, steps: number, seed: number): { input: Tensor; target: Tensor } {
  const rand = seededRandom(seed);
  const shape = spec.kind === 'residual' ? [batch, spec.inputSize] : [batch, steps, spec.inputSize];
  const input = { shape, data: uniform(rand, shape.reduce((a, b) => a * b, 1), -1.5, 1.5) };
  const target =
    loss === 'mse'
      ? { shape: [batch, spec.outputSize], data: uniform(rand, batch * spec.outputSize, -1, 1) }
      : { shape: [batch], data: Float32Array.from({ length: batch }, () => Math.floor(rand() * spec.outputSize)) };
  return { input, target };
}

function expectNorms(actual: readonly number[] | undefined, expected: readonly number[] | undefined, what: string): void {
  expect(actual, what).toHaveLength(expected!.length);
  expected!.forEach((e, i) => expect(Math.abs(actual![i]! - e), `${what}[${i}]: ${actual![i]} vs ${e}`).toBeLessThanOrEqual(1e-3 * Math.abs(e) + 1e-30));
}

const specs: { spec: NetworkSpec; loss: LossName; steps: number }[] = [
  ...activations.flatMap((activation, i) => [
    { spec: parseSpec({ kind: 'residual', inputSize: 5, outputSize: 3, width: 8, depth: 4, block: { activation, layers: 1 + (i % 2) } }), loss: 'mse' as const, steps: 0 },
    { spec: parseSpec({ kind: 'residual', inputSize: 5, outputSize: 3, width: 8, depth: 5, block: { activation, skip: 'none' } }), loss: 'crossEntropy' as const, steps: 0 },
  ]),
  ...cellTypes.flatMap((cell) => [
    { spec: parseSpec({ kind: 'recurrent', cell, inputSize: 3, hiddenSize: 6, numLayers: 2, outputSize: 2 }), loss: 'mse' as const, steps: 9 },
    { spec: parseSpec({ kind: 'recurrent', cell, inputSize: 4, hiddenSize: 5, numLayers: 1, outputSize: 3 }), loss: 'crossEntropy' as const, steps: 4 },
  ]),
];

describe('agreement with the float64 reference backend (@gradscope/testkit)', () => {
  specs.forEach(({ spec, loss, steps }, k) => {
    const label = spec.kind === 'residual' ? `${spec.block.skip === 'none' ? 'plain' : 'residual'} ${spec.block.activation} ${spec.depth}x${spec.block.layers}` : `${spec.cell} ${spec.numLayers}x${spec.hiddenSize} T=${steps}`;
    it(`${label}, ${loss}: forward 1e-5, gradients 1e-4, norms 1e-3`, async () => {
      const params = torchLikeInit(spec, 100 + k);
      const batch = batchFor(spec, loss, 6, steps, 200 + k);
      const [a, b] = [await onnx.createModel(spec, params), await reference.createModel(spec, params)];
      expect(relErr((await a.forward(batch.input)).data, (await b.forward(batch.input)).data)).toBeLessThan(1e-5);
      const [ga, gb] = [await a.computeGradients(batch, loss), await b.computeGradients(batch, loss)];
      expect(Math.abs(ga.loss - gb.loss) / Math.abs(gb.loss)).toBeLessThan(1e-5);
      for (const name of Object.keys(gb.grads)) expect(relErr(ga.grads[name]!.data, gb.grads[name]!.data), name).toBeLessThan(1e-4);
      if (spec.kind === 'residual') {
        expectNorms(ga.blockOutputGradNorms, gb.blockOutputGradNorms, 'blockOutputGradNorms');
        expect(ga.deadUnitFractions).toEqual(gb.deadUnitFractions!.map((v) => Math.fround(v)));
      } else {
        gb.hiddenGradNorms!.forEach((row, l) => expectNorms(ga.hiddenGradNorms![l], row, `hiddenGradNorms[${l}]`));
        if (spec.cell === 'lstm') gb.cellGradNorms!.forEach((row, l) => expectNorms(ga.cellGradNorms![l], row, `cellGradNorms[${l}]`));
        expectNorms(ga.inputGradNorms, gb.inputGradNorms, 'inputGradNorms');
      }
      await a.dispose();
      await b.dispose();
    });
  });

  for (const specJson of [
    { kind: 'residual', inputSize: 4, outputSize: 2, width: 16, depth: 6, block: { activation: 'tanh' } },
    { kind: 'recurrent', cell: 'lstm', inputSize: 2, hiddenSize: 8, numLayers: 2, outputSize: 1 },
  ] as const) {
    it(`20-step trajectory, Adam lr 1e-2 + clip norm 1.0, monitored every step: ${specJson.kind}`, async () => {
      const spec = parseSpec(specJson);
      const params = torchLikeInit(spec, 7);
      const config = parseTrainingConfig({ optimizer: { type: 'adam', lr: 1e-2 }, clip: { type: 'norm', maxNorm: 1 } });
      const [a, b] = [await onnx.createModel(spec, params), await reference.createModel(spec, params)];
      a.configureTraining(config);
      b.configureTraining(config);
      for (let s = 0; s < 20; s++) {
        const batch = batchFor(spec, 'mse', 8, 12, 300 + s);
        const [ra, rb] = [await a.trainStep(batch, { report: true }), await b.trainStep(batch, { report: true })];
        expect(Math.abs(ra.loss - rb.loss) / rb.loss, `loss at step ${s + 1}`).toBeLessThan(1e-4);
        expect(Math.abs(ra.gradNorm - rb.gradNorm) / rb.gradNorm).toBeLessThan(1e-4);
        expect(Math.abs(ra.clipCoef - rb.clipCoef) / rb.clipCoef).toBeLessThan(1e-4);
        for (const [name, st] of Object.entries(rb.report!.params)) {
          expect(Math.abs(ra.report!.params[name]!.gradNorm - st.gradNorm), name).toBeLessThanOrEqual(1e-3 * st.gradNorm);
        }
      }
      const [pa, pb] = [await a.getParams(), await b.getParams()];
      for (const name of Object.keys(pb)) expect(relErr(pa[name]!.data, pb[name]!.data), name).toBeLessThan(1e-4);
      await a.dispose();
      await b.dispose();
    });
  }
});
