import { describe, expect, it } from 'vitest';
import type { GradientResult } from '@gradscope/core';
import { agreementRow, perValueRelativeError } from './agreement.js';

const t = (data: number[]) => ({ shape: [data.length], data: Float32Array.from(data) });

function result(output: number[], w: number[], hidden: number[]): GradientResult {
  return { output: t(output), loss: 0, grads: { 'fc.weight': t(w), 'fc.bias': t([1]) }, hiddenGradNorms: [hidden] };
}

describe('agreement with the reference', () => {
  it('judges each norm against itself, so a tiny early-timestep norm counts as much as a large one', () => {
    // 1e-12 vs 2e-12 is a 100% error even though the absolute difference is negligible
    expect(perValueRelativeError([1, 2e-12], [1, 1e-12])).toBeCloseTo(1, 12);
    expect(perValueRelativeError([1, NaN], [1, 1])).toBeNaN();
  });

  it('passes within DESIGN.md tolerances and fails outside them, naming the worst parameter', () => {
    const ref = result([1, 2], [4, -4], [1e-6, 1]);
    const close = agreementRow('lstm T=5', 'onnx', result([1 + 1e-6, 2], [4 + 1e-4, -4], [1e-6 * (1 + 1e-4), 1]), ref);
    expect(close.pass).toBe(true);
    expect(close.grads).toBeCloseTo(1e-4 / 4, 6);
    const off = agreementRow('lstm T=5', 'onnx', result([1, 2], [4, -4.01], [2e-6, 1]), ref);
    expect(off.pass).toBe(false);
    expect(off.worstParam).toBe('fc.weight');
    expect(off.norms).toBeCloseTo(1, 6);
  });

  it('counts a missing parameter gradient as a failure', () => {
    const ref = result([1], [1], [1]);
    const partial: GradientResult = { ...ref, grads: { 'fc.weight': t([1]) } };
    const row = agreementRow('x', 'tfjs', partial, ref);
    expect(row.grads).toBe(Infinity);
    expect(row.worstParam).toBe('fc.bias');
    expect(row.pass).toBe(false);
  });
});
