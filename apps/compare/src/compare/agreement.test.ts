import { describe, expect, it } from 'vitest';
import type { GradientResult, ParamSet } from '@gradscope/core';
import { agreementRow, perValueComparison, perValueRelativeError, referenceSpread } from './agreement.js';

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

  it('counts values both sides put below float32 range as agreeing ("underflow"), and nothing else', () => {
    // an RNN at T = 200: the reference's earliest norms are 1e-45 and 3e-60, a float32 runtime gives a denormal and 0
    expect(perValueComparison([0.5, 1e-20, 1.4e-45, 0], [0.5, 1e-20, 1e-45, 3e-60])).toEqual({ error: 0, underflow: 2 });
    // only one side below the range is a real disagreement
    expect(perValueComparison([0.5, 0], [0.5, 1e-30]).error).toBe(1);
    expect(perValueComparison([0.5, 1e-20], [0.5, 1e-40]).error).toBeGreaterThan(1e10);
    const ref = result([1, 2], [4, -4], [1e-50, 1e-39, 1]);
    const row = agreementRow('rnn T=200', 'onnx', result([1, 2], [4, -4], [0, 1.1e-39, 1]), ref);
    expect(row).toMatchObject({ pass: true, underflow: 2, norms: 0 });
  });

  it('a parameter gradient wholly below float32 range on both sides agrees as underflow; one normal value and it is compared', () => {
    // a plain sigmoid net at depth 56: dL/dh at block 7 is ~1e-43, so float32 holds its weight gradient as denormals
    const grads = (w: number[]): GradientResult => ({ ...result([1, 2], [4, -4], [1]), grads: { 'fc.weight': t([4, -4]), 'blocks.7.0.weight': t(w) } });
    const deep = agreementRow('plain sigmoid depth 56', 'onnx', grads([1e-40, 0]), grads([3e-40, -1e-41]));
    expect(deep).toMatchObject({ pass: true, underflow: 2, grads: 0 });
    const mixed = agreementRow('plain sigmoid depth 56', 'onnx', grads([1e-40, 2e-38]), grads([3e-40, 2e-38]));
    expect(mixed).toMatchObject({ pass: false, underflow: 0, worstParam: 'blocks.7.0.weight' });
    expect(mixed.grads).toBeCloseTo(0.01, 3);
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

  it('a row outside the tolerances is marked within the float32 spread only when the reference itself moves that far', () => {
    const ref = result([1, 2], [4, -4], [1, 1]);
    const flipped = result([1, 2], [4, -4.2], [1, 1]); // 0.05 off in fc.weight, as one flipped ReLU unit does
    const kink = agreementRow('plain-32', 'tfjs', flipped, ref, { output: 1e-6, grads: 0.08, norms: 1e-4 });
    expect([kink.pass, kink.withinFloat32Spread]).toEqual([false, true]);
    const smooth = agreementRow('plain-32', 'tfjs', flipped, ref, { output: 1e-6, grads: 2e-5, norms: 1e-4 });
    expect([smooth.pass, smooth.withinFloat32Spread]).toEqual([false, false]);
  });

  it('referenceSpread measures how far the model moves under 1e-6 weight changes and puts the weights back', async () => {
    // a model whose output is a kink: relu(w · 1) with w on zero's edge
    let w = 1e-7;
    const model = {
      async computeGradients(): Promise<GradientResult> {
        return { output: t([Math.max(0, w)]), loss: 0, grads: { w: t([w > 0 ? 1 : 0]) } };
      },
      async setParams(p: ParamSet) {
        w = p['w']!.data[0]! - 0.9999999; // weights near 1 so the relative change reaches the edge at 1e-7
      },
    };
    const params = { w: t([0.9999999 + 1e-7]) };
    await model.setParams(params);
    const initial = await model.computeGradients();
    const spread = await referenceSpread(model, params, { input: t([1]), target: t([0]) }, 'mse', initial);
    expect(spread.grads).toBe(1); // some draw crossed the kink: the gradient jumped from 1 to 0
    expect((await model.computeGradients()).grads['w']!.data[0]).toBe(1); // restored
  });
});
