import { describe, expect, it } from 'vitest';
import { float64, torchSemantics } from './__fixtures__/torch-semantics.js';
import { createOptimizerState } from './optim.js';
import { applyTrainingStep } from './step.js';
import { relativeError } from './tensor.js';
import { parseTrainingConfig } from './training.js';

const close = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

describe('applyTrainingStep matches a torch loop: clip_grad_norm_ -> optimizer.step() -> scheduler.step()', () => {
  const c = torchSemantics.trainingStep;
  const config = parseTrainingConfig(c.config);

  it('gives the same parameters, rate, norm, coefficient and per-parameter stats at every step', () => {
    const state = createOptimizerState();
    const params = float64(c.params);
    c.steps.forEach((expected, k) => {
      const applied = applyTrainingStep(config, state, params, float64(c.grads[k]!), true, 1);
      expect(close(applied.lr, expected.lr), `lr at step ${k + 1}`).toBeLessThanOrEqual(1e-12);
      expect(close(applied.gradNorm, expected.gradNorm)).toBeLessThanOrEqual(1e-12);
      expect(close(applied.clipCoef, expected.clipCoef)).toBeLessThanOrEqual(1e-12);
      for (const [name, t] of Object.entries(expected.params)) {
        expect(relativeError(params[name]!, t.data), `${name} after step ${k + 1}`).toBeLessThanOrEqual(1e-12);
        const stats = applied.params![name]!;
        const want = expected.stats[name]!;
        expect(close(stats.gradNorm, want.gradNorm)).toBeLessThanOrEqual(1e-12);
        expect(close(stats.weightNorm, want.weightNorm)).toBeLessThanOrEqual(1e-12);
        expect(close(stats.updateRatio, want.updateRatio)).toBeLessThanOrEqual(1e-12);
      }
    });
  });

  it('skips the per-parameter stats when not asked, with the same update', () => {
    const withStats = float64(c.params);
    const without = float64(c.params);
    applyTrainingStep(config, createOptimizerState(), withStats, float64(c.grads[0]!), true, 1);
    const applied = applyTrainingStep(config, createOptimizerState(), without, float64(c.grads[0]!), false, 1);
    expect(applied.params).toBeUndefined();
    expect(without).toEqual(withStats);
  });
});

describe('applyTrainingStep refuses a non-finite step and leaves no trace', () => {
  const config = parseTrainingConfig({ optimizer: { type: 'adam', lr: 0.1 } });
  const start = (): { state: ReturnType<typeof createOptimizerState>; params: { w: Float32Array } } => {
    const state = createOptimizerState();
    const params = { w: Float32Array.of(1, -2) };
    applyTrainingStep(config, state, params, { w: Float32Array.of(0.5, 0.5) }, false, 1);
    return { state, params };
  };

  it.each([
    ['loss', NaN, Float32Array.of(0.1, 0.1)],
    ['loss', Infinity, Float32Array.of(0.1, 0.1)],
    ['gradients', 1, Float32Array.of(0.1, NaN)],
    ['gradients', 1, Float32Array.of(-Infinity, 0.1)],
  ] as const)('reports %s (loss %s) and keeps weights, buffers and step', (why, loss, grad) => {
    const { state, params } = start();
    const before = { params: params.w.slice(), state: structuredClone(state) };
    const applied = applyTrainingStep(config, state, params, { w: grad.slice() }, true, loss);
    expect(applied.nonFinite).toBe(why);
    expect(applied.params!['w']!.updateRatio).toBe(0);
    expect(params.w).toEqual(before.params);
    expect(state).toEqual(before.state);
  });

  it('refuses an update that overflows float32, also for float64 weights', () => {
    const sgd = parseTrainingConfig({ optimizer: { type: 'sgd', lr: 1, momentum: 0.9 } });
    const state = createOptimizerState();
    const params = { w: Float64Array.of(3e38, 1) };
    const applied = applyTrainingStep(sgd, state, params, { w: Float64Array.of(-1e38, 0) }, false, 1);
    expect(applied.nonFinite).toBe('weights');
    expect(Array.from(params.w)).toEqual([3e38, 1]);
    expect(state).toEqual(createOptimizerState());
  });
});
