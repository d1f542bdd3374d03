import { describe, expect, it } from 'vitest';
import { compareScalar, compareSeries, compareTensor } from './compare.js';
import { compareChange, float32Ulp } from './golden-checks.js';
import { CheckLog } from './result.js';

const failuresOf = (body: (log: CheckLog) => void): readonly string[] => {
  const log = new CheckLog();
  body(log);
  return log.result().failures;
};

describe('tensor, scalar and series comparisons', () => {
  it('measure a tensor by max|a - b| / max|ref| and say where it is worst', () => {
    const ref = { shape: [3], data: [1, -2, 0.5] };
    expect(failuresOf((l) => compareTensor(l, 'out', { shape: [3], data: [1, -2 + 1e-5, 0.5] }, ref, 1e-5))).toEqual([]);
    expect(failuresOf((l) => compareTensor(l, 'out', { shape: [3], data: [1, -2, 0.5001] }, ref, 1e-5))).toEqual([
      'out: relative error 5.00e-5 > 1.00e-5 (worst at [2]: 0.5001 vs 0.5)',
    ]);
    expect(failuresOf((l) => compareTensor(l, 'out', { shape: [1, 3], data: [1, -2, 0.5] }, ref, 1e-5))).toEqual(['out: shape [1, 3], expected [3]']);
  });

  it('hold every value of a norm series to its own size, so a vanishing tail cannot hide behind the head', () => {
    const ref = [1e-12, 1e-6, 1];
    expect(failuresOf((l) => compareSeries(l, 'norms', [1.0005e-12, 1e-6, 1], ref, 1e-3))).toEqual([]);
    // Off by 1% at the vanishing end: negligible for max|a-b|/max|ref|, a failure value by value.
    expect(failuresOf((l) => compareSeries(l, 'norms', [1.01e-12, 1e-6, 1], ref, 1e-3))[0]).toMatch(/^norms\[0\]: 1\.01e-12 vs 1e-12 \(relative error 1\.00e-2/);
  });

  it('require a non-finite reference to be matched exactly (non-finite values are reported, never hidden)', () => {
    expect(failuresOf((l) => compareScalar(l, 'loss', NaN, NaN, 1e-5))).toEqual([]);
    expect(failuresOf((l) => compareScalar(l, 'loss', 3, Infinity, 1e-5))).toHaveLength(1);
    expect(failuresOf((l) => compareSeries(l, 'norms', [1, 2], [1, NaN], 1e-3))).toHaveLength(1);
  });
});

describe('parameter changes per training step', () => {
  it('allow one float32 ulp of the weight (a change read from float32 weights has that resolution) and no more', () => {
    const w = 0.75;
    const ulp = float32Ulp(w);
    expect(ulp).toBe(2 ** -24);
    const goldenChange = 3 * ulp;
    const before = [w];
    const goldenBefore = [w];
    // The backend's float32 weight landed one ulp away from the exact float64 update: not a failure.
    expect(failuresOf((l) => compareChange(l, 'w', [w + 4 * ulp], before, [w + goldenChange], goldenBefore, 1e-4))).toEqual([]);
    // A change 1% off where it is well resolved is a failure.
    expect(failuresOf((l) => compareChange(l, 'w', [w + 0.0101], before, [w + 0.01], goldenBefore, 1e-4))[0]).toMatch(/^w: relative error 9\.99e-3 > 1\.00e-4/);
  });
});
