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
      const applied = applyTrainingStep(config, state, params, float64(c.grads[k]!), true);
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
    applyTrainingStep(config, createOptimizerState(), withStats, float64(c.grads[0]!), true);
    const applied = applyTrainingStep(config, createOptimizerState(), without, float64(c.grads[0]!), false);
    expect(applied.params).toBeUndefined();
    expect(without).toEqual(withStats);
  });
});
