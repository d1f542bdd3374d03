import { describe, expect, it } from 'vitest';
import { batchNormTraining } from './conv-batchnorm.js';
import { Graph } from './graph.js';
import { OnnxSession } from './session.js';
import { relErr, seededRandom, uniform } from './test-helpers.js';

/** PyTorch's training-mode BatchNorm2d in float64, written out: output and updated running statistics. */
function referenceBatchNorm(x: Float32Array, [n, c, h, w]: readonly [number, number, number, number], scale: number[], bias: number[], runMean: number[], runVar: number[]) {
  const y = new Float64Array(x.length);
  const mean: number[] = [];
  const variance: number[] = [];
  const m = n * h * w;
  for (let ch = 0; ch < c; ch++) {
    const idx: number[] = [];
    for (let b = 0; b < n; b++) for (let k = 0; k < h * w; k++) idx.push((b * c + ch) * h * w + k);
    const mu = idx.reduce((s, i) => s + x[i]!, 0) / m;
    const v = idx.reduce((s, i) => s + (x[i]! - mu) ** 2, 0) / m;
    for (const i of idx) y[i] = ((x[i]! - mu) / Math.sqrt(v + 1e-5)) * scale[ch]! + bias[ch]!;
    mean.push(0.9 * runMean[ch]! + 0.1 * mu);
    variance.push(0.9 * runVar[ch]! + 0.1 * v * (m / (m - 1)));
  }
  return { y, mean, variance };
}

describe('batchNormTraining', () => {
  it('normalizes with the batch mean and biased variance and updates running stats with the unbiased one (momentum 0.1)', async () => {
    const shape: [number, number, number, number] = [3, 2, 2, 3];
    const rand = seededRandom(5);
    const x = uniform(rand, 36, -2, 3);
    const [scale, bias, runMean, runVar] = [[1.5, -0.5], [0.2, 0.1], [0.3, -0.1], [1.2, 0.8]];
    const g = new Graph('bn');
    const input = g.input('x', shape);
    const out = batchNormTraining(g, input, g.constFloat(scale!, [2]), g.constFloat(bias!, [2]), {
      running: { mean: g.constFloat(runMean!, [2]), variance: g.constFloat(runVar!, [2]) },
    });
    g.output(g.rename(out.y, 'y'));
    g.output(g.rename(out.runningMean!, 'mean'));
    g.output(g.rename(out.runningVariance!, 'variance'));
    const session = await OnnxSession.create(g.toModel());
    const got = await session.run({ x: { dims: shape, data: x } });
    await session.release();
    const want = referenceBatchNorm(x, shape, scale!, bias!, runMean!, runVar!);
    expect(relErr(got.y!.data, want.y)).toBeLessThan(1e-5);
    expect(relErr(got.mean!.data, want.mean)).toBeLessThan(1e-6);
    expect(relErr(got.variance!.data, want.variance)).toBeLessThan(1e-6);
  });

  it('refuses a batch with one value per channel, as PyTorch does', () => {
    const g = new Graph('bn1');
    const c = g.constFloat([1, 1], [2]);
    expect(() => batchNormTraining(g, g.input('x', [1, 2, 1, 1]), c, c)).toThrow(
      'batch normalization in training needs more than one value per channel, got input [1,2,1,1]',
    );
  });
});
