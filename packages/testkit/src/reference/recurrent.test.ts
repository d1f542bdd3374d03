import { cellTypes, parseSpec, planRecurrent, relativeError, runRecurrentPlan, type CellType, type LossName, type RecurrentPrimitives, type RecurrentSpec } from '@gradscope/core';
import { describe, expect, it } from 'vitest';
import { finiteDifferences, l2, labels, initParams64, uniformTensor } from './__fixtures__/testing.js';
import { forward64, gradients64, loss64, type AnyBatch } from './network.js';
import type { Params64 } from './params64.js';

function recurrent(cell: CellType, numLayers = 2, hiddenSize = 3, inputSize = 2, outputSize = 3): RecurrentSpec {
  return parseSpec({ kind: 'recurrent', cell, inputSize, hiddenSize, numLayers, outputSize }) as RecurrentSpec;
}

function batchFor(spec: RecurrentSpec, loss: LossName, seed: number, size = 3, steps = 4): AnyBatch {
  return {
    input: uniformTensor([size, steps, spec.inputSize], seed),
    target: loss === 'mse' ? uniformTensor([size, spec.outputSize], seed + 1) : labels(size, spec.outputSize, seed + 1),
  };
}

const cases = cellTypes.flatMap((cell) => (['mse', 'crossEntropy'] as const).map((loss) => ({ cell, loss })));

describe('recurrent nets (2 layers): exact BPTT gradients against central finite differences (float64)', () => {
  it.each(cases)('$cell, $loss', ({ cell, loss }) => {
    const spec = recurrent(cell);
    const params = initParams64(spec, 21);
    const batch = batchFor(spec, loss, 8);
    const result = gradients64(spec, params, batch, loss);
    for (const [name, p] of Object.entries(params)) {
      const fd = finiteDifferences(() => loss64(spec, params, batch, loss), p);
      expect(relativeError(result.grads[name]!.data, fd), name).toBeLessThan(1e-7);
    }
  });
});

describe('total dL/dh_t, dL/dc_t and dL/dx_t norms against finite differences w.r.t. additive probes', () => {
  const T = 4;
  const B = 3;
  const probeGrid = (spec: RecurrentSpec) => Array.from({ length: spec.numLayers }, () => Array.from({ length: T }, () => new Float64Array(B * spec.hiddenSize)));

  it.each(cases)('$cell, $loss', ({ cell, loss }) => {
    const spec = recurrent(cell);
    const params = initParams64(spec, 3);
    const batch = batchFor(spec, loss, 4, B, T);
    const result = gradients64(spec, params, batch, loss);
    const hidden = probeGrid(spec);
    const cellProbes = probeGrid(spec);
    const f = () => loss64(spec, params, batch, loss, { hidden, cell: cellProbes });
    const relative = (a: number, b: number) => Math.abs(a - b) / b;

    expect(result.hiddenGradNorms).toHaveLength(spec.numLayers);
    for (let l = 0; l < spec.numLayers; l++) {
      for (let t = 0; t < T; t++) {
        const fdH = l2(finiteDifferences(f, hidden[l]![t]!));
        expect(relative(result.hiddenGradNorms![l]![t]!, fdH), `dL/dh layer ${l} t ${t}`).toBeLessThan(1e-7);
        if (cell === 'lstm') {
          const fdC = l2(finiteDifferences(f, cellProbes[l]![t]!));
          expect(relative(result.cellGradNorms![l]![t]!, fdC), `dL/dc layer ${l} t ${t}`).toBeLessThan(1e-7);
        }
      }
    }
    if (cell !== 'lstm') expect(result.cellGradNorms).toBeUndefined();

    // dL/dx_t: perturb the input itself, one timestep at a time.
    const x = batch.input.data as Float64Array;
    const dx = finiteDifferences(() => loss64(spec, params, batch, loss), x);
    const perStep = Array.from({ length: T }, (_, t) => {
      let s = 0;
      for (let b = 0; b < B; b++) for (let i = 0; i < spec.inputSize; i++) s += dx[(b * T + t) * spec.inputSize + i]! ** 2;
      return Math.sqrt(s);
    });
    result.inputGradNorms!.forEach((n, t) => expect(relative(n, perStep[t]!), `dL/dx t ${t}`).toBeLessThan(1e-7));
  });
});

describe('known facts', () => {
  it('Keras\' own LSTM test (3 units, arange(72) input, unit forget bias): last-step outputs 0.62886867, 0.86899145, 0.94607728', () => {
    // keras/src/layers/rnn/lstm_test.py test_correctness, in PyTorch layout (LIBRARY-FACTS.md).
    const H = 3;
    const spec = recurrent('lstm', 1, H, 4, H);
    const params: Params64 = {
      'lstm.weight_ih_l0': new Float64Array(4 * H * 4).fill(0.01),
      'lstm.weight_hh_l0': new Float64Array(4 * H * H).fill(0.02),
      'lstm.bias_ih_l0': Float64Array.from({ length: 4 * H }, (_, r) => (r >= H && r < 2 * H ? 1 : 0.03)),
      'lstm.bias_hh_l0': new Float64Array(4 * H),
      // An identity readout makes the output the last hidden state.
      'fc.weight': Float64Array.from({ length: H * H }, (_, k) => (k % (H + 1) === 0 ? 1 : 0)),
      'fc.bias': new Float64Array(H),
    };
    const input = { shape: [3, 6, 4], data: Float64Array.from({ length: 72 }, (_, i) => i) };
    const out = forward64(spec, params, input);
    const expected = [0.62886867, 0.86899145, 0.94607728];
    for (let b = 0; b < 3; b++) for (let u = 0; u < H; u++) expect(out.data[b * H + u]).toBeCloseTo(expected[b]!, 8);
  });

  it('a tanh RNN (hidden 8, T = 25) at PyTorch-like init: ||dL/dh_0|| is a vanishing fraction of ||dL/dh_24||', () => {
    const spec = recurrent('rnn', 1, 8, 2, 1);
    const batch: AnyBatch = { input: uniformTensor([16, 25, 2], 2, 0, 1), target: uniformTensor([16, 1], 3) };
    const { hiddenGradNorms } = gradients64(spec, initParams64(spec, 1), batch, 'mse');
    const row = hiddenGradNorms![0]!;
    expect(row[0]! / row[24]!).toBeLessThan(1e-5);
  });
});

/** Core's recurrent primitives on float64 `[batch, ·]` rows, so the plan's cell equations can be checked against the reference. */
function float64Ops(spec: RecurrentSpec, params: Params64, input: Float64Array, batch: number, steps: number): RecurrentPrimitives<Float64Array, Float64Array> {
  const H = spec.hiddenSize;
  const G = planRecurrent(spec).gates;
  // x W^T + b with PyTorch's `[out, in]` weight
  const affine = (x: Float64Array, w: string, b: string): Float64Array => {
    const W = params[w]!;
    const bias = params[b]!;
    const out = bias.length;
    const inF = W.length / out;
    return Float64Array.from({ length: batch * out }, (_, i) => {
      const [r, o] = [Math.floor(i / out), i % out];
      let acc = bias[o]!;
      for (let k = 0; k < inF; k++) acc += x[r * inF + k]! * W[o * inF + k]!;
      return acc;
    });
  };
  const split = (p: Float64Array): Float64Array[] =>
    Array.from({ length: G }, (_, j) => Float64Array.from({ length: batch * H }, (_, i) => p[Math.floor(i / H) * G * H + j * H + (i % H)]!));
  const map2 = (a: Float64Array, b: Float64Array, f: (x: number, y: number) => number): Float64Array => a.map((v, i) => f(v, b[i]!));
  const xs = Array.from({ length: steps }, (_, t) => Float64Array.from({ length: batch * spec.inputSize }, (_, i) => input[(Math.floor(i / spec.inputSize) * steps + t) * spec.inputSize + (i % spec.inputSize)]!));
  return {
    projectInputs: (layer, below) => (below ?? xs).map((x) => affine(x, layer.weightIh, layer.biasIh)),
    projectHidden: (layer, h) => affine(h, layer.weightHh, layer.biasHh),
    split,
    activateSum: (a, b, acts) => split(map2(a, b, (x, y) => x + y)).map((v, j) => v.map(acts[j] === 'sigmoid' ? (x) => 1 / (1 + Math.exp(-x)) : Math.tanh)),
    zeros: () => new Float64Array(batch * H),
    sigmoid: (v) => v.map((x) => 1 / (1 + Math.exp(-x))),
    tanh: (v) => v.map(Math.tanh),
    mul: (a, b) => map2(a, b, (x, y) => x * y),
    sub: (a, b) => map2(a, b, (x, y) => x - y),
    sum: (terms) => terms.slice(1).reduce((acc, t) => map2(acc, t, (x, y) => x + y), terms[0]!),
    linear: (h, name) => affine(h, `${name}.weight`, `${name}.bias`),
  };
}

describe("core's recurrent plan is PyTorch's network", () => {
  it.each(cellTypes)('%s (2 layers): the plan on float64 primitives gives the reference outputs (which match the PyTorch goldens)', (cell) => {
    const spec = recurrent(cell);
    const params = initParams64(spec, 4);
    const x = uniformTensor([3, 5, spec.inputSize], 9);
    const run = runRecurrentPlan(planRecurrent(spec), float64Ops(spec, params, x.data, 3, 5));
    expect(relativeError(run.output, forward64(spec, params, x).data)).toBeLessThan(1e-14);
  });
});
