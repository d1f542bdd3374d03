import { describe, expect, it } from 'vitest';
import type { GradientReport } from '../report.js';
import { recurrentReport, residualReport } from '../__fixtures__/reports.js';
import { every, firstLastRatio, selectParams, type GradientMonitor } from './monitor.js';

function spy(): GradientMonitor & { seen: number[]; ended: number } {
  const m = { seen: [] as number[], ended: 0, onStep: (r: GradientReport) => void m.seen.push(r.step), onEnd: () => void (m.ended += 1) };
  return m;
}

describe('every(n, monitor)', () => {
  it('passes only every n-th step and says so through wants()', () => {
    const inner = spy();
    const sampled = every(3, inner);
    for (let step = 1; step <= 10; step++) sampled.onStep(residualReport(step, [1, 1]));
    expect(inner.seen).toEqual([3, 6, 9]);
    expect([1, 2, 3, 4, 5, 6].map((s) => sampled.wants!(s))).toEqual([false, false, true, false, false, true]);
  });

  it('composes: every(2, every(3, m)) wants multiples of 6', () => {
    const sampled = every(2, every(3, spy()));
    expect(Array.from({ length: 12 }, (_, i) => i + 1).filter((s) => sampled.wants!(s))).toEqual([6, 12]);
  });

  it('forwards onEnd', () => {
    const inner = spy();
    void every(5, inner).onEnd?.();
    expect(inner.ended).toBe(1);
  });

  it('rejects a step count that is not a positive integer', () => {
    expect(() => every(0, spy())).toThrow('every(n): n must be a positive integer, got 0');
    expect(() => every(1.5, spy())).toThrow(RangeError);
  });
});

describe('selectParams', () => {
  const report = residualReport(1, [1, 2]);

  it('keeps the named parameters', () => {
    expect(Object.keys(selectParams(report, ['head.weight', 'nope']).params)).toEqual(['head.weight']);
  });

  it('keeps the parameters a RegExp matches, even a global one used twice', () => {
    const re = /^blocks\./g;
    expect(Object.keys(selectParams(report, re).params)).toEqual(['blocks.0.0.weight']);
    expect(Object.keys(selectParams(report, re).params)).toEqual(['blocks.0.0.weight']);
  });

  it('leaves the report itself untouched', () => {
    selectParams(report, ['head.weight']);
    expect(Object.keys(report.params)).toHaveLength(3);
  });
});

describe('firstLastRatio', () => {
  it('is block 0 over the last block for a residual net', () => {
    expect(firstLastRatio(residualReport(1, [1e-6, 0.5, 2]))).toBe(5e-7);
  });

  it("is h_0 over h_{T-1} of the top layer for a recurrent net", () => {
    expect(firstLastRatio(recurrentReport(1, [[1, 1, 1], [0.001, 0.1, 0.5]]))).toBe(0.002);
  });

  it('is undefined without architecture norms', () => {
    expect(firstLastRatio(residualReport(1, [3]))).toBeUndefined();
    const { blockOutputGradNorms: _, ...bare } = residualReport(1, [1, 2]);
    expect(firstLastRatio(bare)).toBeUndefined();
  });
});
