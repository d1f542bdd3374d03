import { activations, parseSpec, relativeError, type LossName, type ResidualSpec } from '@gradscope/core';
import { describe, expect, it } from 'vitest';
import { finiteDifferences, l2, labels, initParams64, uniformTensor } from './__fixtures__/testing.js';
import { gradients64, loss64, type AnyBatch } from './network.js';
import { deadUnitFractions, residualForward } from './residual.js';

function residual(activation: string, layers: number, skip: 'identity' | 'none', depth = 3, width = 5): ResidualSpec {
  return parseSpec({ kind: 'residual', inputSize: 3, outputSize: 3, width, depth, block: { layers, activation, skip } }) as ResidualSpec;
}

function batchFor(spec: ResidualSpec, loss: LossName, seed: number, size = 4): AnyBatch {
  return {
    input: uniformTensor([size, spec.inputSize], seed),
    target: loss === 'mse' ? uniformTensor([size, spec.outputSize], seed + 1) : labels(size, spec.outputSize, seed + 1),
  };
}

describe('residual dense net: exact gradients against central finite differences (float64)', () => {
  const cases = activations.flatMap((act) =>
    [1, 2].flatMap((layers) => (['identity', 'none'] as const).flatMap((skip) => (['mse', 'crossEntropy'] as const).map((loss) => ({ act, layers, skip, loss })))),
  );
  it.each(cases)('$act, $layers layer(s) per block, skip $skip, $loss', ({ act, layers, skip, loss }) => {
    const spec = residual(act, layers, skip, 2);
    const params = initParams64(spec, 11);
    const batch = batchFor(spec, loss, 3);
    const result = gradients64(spec, params, batch, loss);
    expect(result.loss).toBeCloseTo(loss64(spec, params, batch, loss), 14);
    // Smooth activations take a wide step (less rounding noise, O(h⁴) truncation); relu-like ones a narrow step
    // that cannot cross a kink.
    const h = act === 'relu' || act === 'leakyRelu' ? 1e-5 : 1e-3;
    for (const [name, p] of Object.entries(params)) {
      const fd = finiteDifferences(() => loss64(spec, params, batch, loss), p, h);
      expect(relativeError(result.grads[name]!.data, fd), name).toBeLessThan(1e-7);
    }
  });
});

describe('block-output gradient norms against finite differences w.r.t. additive probes', () => {
  it.each([
    { act: 'tanh', layers: 2, skip: 'identity' as const },
    { act: 'sigmoid', layers: 1, skip: 'none' as const },
    { act: 'gelu', layers: 2, skip: 'none' as const },
  ])('$act, $layers layer(s), skip $skip', ({ act, layers, skip }) => {
    const spec = residual(act, layers, skip, 4);
    const params = initParams64(spec, 5);
    const batch = batchFor(spec, 'mse', 9);
    const probes = Array.from({ length: spec.depth }, () => new Float64Array(4 * spec.width));
    const { blockOutputGradNorms } = gradients64(spec, params, batch, 'mse');
    expect(blockOutputGradNorms).toHaveLength(spec.depth);
    probes.forEach((probe, i) => {
      const fd = finiteDifferences(() => loss64(spec, params, batch, 'mse', { blockOutputs: probes }), probe);
      expect(Math.abs(blockOutputGradNorms![i]! - l2(fd)) / l2(fd), `block ${i}`).toBeLessThan(1e-7);
    });
  });
});

describe('known facts about vanishing gradients at PyTorch-like init', () => {
  const firstOverLast = (skip: 'identity' | 'none'): number => {
    const spec = residual('sigmoid', 1, skip, 12, 10);
    const { blockOutputGradNorms: n } = gradients64(spec, initParams64(spec, 1), batchFor(spec, 'mse', 2, 16), 'mse');
    return n![0]! / n![11]!;
  };
  it('a 12-block plain sigmoid net: the first block gets a tiny fraction of the last block\'s gradient', () => {
    expect(firstOverLast('none')).toBeLessThan(1e-4);
  });
  it('the same net with identity skips keeps the first block\'s gradient at least as large as the last one\'s', () => {
    expect(firstOverLast('identity')).toBeGreaterThan(1);
  });
});

describe('dead unit fractions', () => {
  it('counts a relu unit as dead only when it is zero for every example, over all layers of the block', () => {
    const spec = residual('relu', 2, 'identity', 2, 4);
    const params = initParams64(spec, 4);
    // Block 0, layer 1, unit 2: a large negative bias kills it for every input; block 1 is left alone.
    params['blocks.0.1.bias']![2] = -100;
    const tape = residualForward(spec, params, uniformTensor([8, 3], 6).data, 8);
    const fractions = deadUnitFractions(spec, tape);
    let expectedBlock1 = 0;
    for (const layer of tape.blocks[1]!) {
      for (let u = 0; u < 4; u++) if ([0, 1, 2, 3, 4, 5, 6, 7].every((b) => layer.a[b * 4 + u] === 0)) expectedBlock1++;
    }
    expect(fractions[0]).toBeGreaterThanOrEqual(1 / 8);
    expect(fractions[1]).toBe(expectedBlock1 / 8);
    expect(gradients64(spec, params, batchFor(spec, 'mse', 6, 8), 'mse').deadUnitFractions).toHaveLength(2);
  });
  it('is zero for sigmoid blocks, whose outputs are never exactly zero', () => {
    const spec = residual('sigmoid', 2, 'none', 3);
    const r = gradients64(spec, initParams64(spec, 1), batchFor(spec, 'mse', 1), 'mse');
    expect(r.deadUnitFractions).toEqual([0, 0, 0]);
  });
});

describe('depth 0 (stem and head only)', () => {
  it('has gradients for stem and head and empty block norms', () => {
    const spec = residual('tanh', 1, 'identity', 0);
    const params = initParams64(spec, 2);
    const batch = batchFor(spec, 'mse', 2);
    const r = gradients64(spec, params, batch, 'mse');
    expect(r.blockOutputGradNorms).toEqual([]);
    const fd = finiteDifferences(() => loss64(spec, params, batch, 'mse'), params['stem.weight']!);
    expect(relativeError(r.grads['stem.weight']!.data, fd)).toBeLessThan(1e-7);
  });
});
