import { describe, expect, it } from 'vitest';
import { float64, torchSemantics } from './__fixtures__/torch-semantics.js';
import { applyOptimizer, cloneOptimizerState, createOptimizerState, scanStep, updateProvablyFinite, type OptimizerState } from './optim.js';
import { createRng } from './random.js';
import { restoreOptimizerState, trainingStateOf } from './training-state.js';
import { relativeError } from './tensor.js';
import { ParamError, SpecError } from './errors.js';
import { parseSpec } from './spec.js';
import { optimizerSpecSchema, parseTrainingConfig } from './training.js';

describe('applyOptimizer matches torch.optim (float64, fixed vectors, 4 steps)', () => {
  it.each(torchSemantics.optimizers.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const spec = optimizerSpecSchema.parse(c.optimizer);
    const state = createOptimizerState();
    const params = float64(c.params);
    c.grads.forEach((g, k) => {
      applyOptimizer(spec, state, params, float64(g), spec.lr);
      for (const [name, expected] of Object.entries(c.after[k]!)) {
        expect(relativeError(params[name]!, expected.data), `${name} after step ${k + 1}`).toBeLessThanOrEqual(1e-12);
      }
    });
    expect(state.step).toBe(c.grads.length);
  });

  it('continues identically from a cloned state (what a checkpoint restores)', () => {
    const c = torchSemantics.optimizers.find((o) => o.optimizer.type === 'adam')!;
    const spec = optimizerSpecSchema.parse(c.optimizer);
    const state = createOptimizerState();
    const params = float64(c.params);
    applyOptimizer(spec, state, params, float64(c.grads[0]!), spec.lr);
    const resumedState = cloneOptimizerState(state);
    const resumedParams = Object.fromEntries(Object.entries(params).map(([n, p]) => [n, p.slice()]));
    applyOptimizer(spec, state, params, float64(c.grads[1]!), spec.lr);
    applyOptimizer(spec, resumedState, resumedParams, float64(c.grads[1]!), spec.lr);
    expect(resumedParams).toEqual(params);
  });
});

describe('SGD options PyTorch rejects', () => {
  it('refuses nesterov without momentum or with dampening, as torch.optim.SGD does', () => {
    for (const extra of [{}, { momentum: 0.9, dampening: 0.1 }]) {
      const parse = () => parseTrainingConfig({ optimizer: { type: 'sgd', lr: 0.1, nesterov: true, ...extra } });
      expect(parse).toThrow(SpecError);
      expect(parse).toThrow('optimizer.nesterov: nesterov needs momentum > 0 and dampening 0 (torch.optim.SGD rejects it otherwise)');
    }
    expect(parseTrainingConfig({ optimizer: { type: 'sgd', lr: 0.1, nesterov: true, momentum: 0.9 } }).optimizer).toMatchObject({ nesterov: true });
  });
});

describe('restoreOptimizerState', () => {
  const spec = parseSpec({ kind: 'recurrent', cell: 'rnn', inputSize: 2, hiddenSize: 3, outputSize: 1 });

  it('deep-copies the buffers into the requested float type and keeps the step', () => {
    const buf = Float32Array.from({ length: 9 }, (_, i) => i / 10);
    const state = { step: 4, optimizer: { step: 4, slots: { exp_avg: { 'rnn.weight_hh_l0': buf } } } };
    const restored = restoreOptimizerState(spec, state, Float64Array);
    expect(restored.step).toBe(4);
    const copy = restored.slots.exp_avg!['rnn.weight_hh_l0']!;
    expect(copy).toBeInstanceOf(Float64Array);
    expect(Array.from(copy)).toEqual(Array.from(buf));
    buf[0] = 99;
    expect(copy[0]).toBe(0);
    expect(trainingStateOf(restored).optimizer.slots.exp_avg!['rnn.weight_hh_l0']).not.toBe(copy);
  });

  it('names every buffer that fits no parameter of the spec in one ParamError', () => {
    const state = {
      step: 1,
      optimizer: { step: 1, slots: { exp_avg: { 'rnn.weight_hh_l0': new Float32Array(8), 'lstm.weight_ih_l0': new Float32Array(6) } } },
    };
    expect(() => restoreOptimizerState(spec, state)).toThrow(ParamError);
    expect(() => restoreOptimizerState(spec, state)).toThrow(
      'optimizer buffers do not match the spec:\n  - unexpected: exp_avg.lstm.weight_ih_l0\n  - exp_avg.rnn.weight_hh_l0: expected shape [3, 3], got [8]',
    );
  });
});

describe('updateProvablyFinite: the bound that lets a step skip its undo copies', () => {
  type Spec = ReturnType<typeof optimizerSpecSchema.parse>;
  const provablyFinite = (spec: Spec, state: OptimizerState, params: Record<string, Float32Array>, grads: Record<string, Float32Array>, lr: number): boolean =>
    updateProvablyFinite(spec, state, scanStep(spec, state, params, grads), lr);
  const specs = [
    { type: 'sgd', lr: 0.5, momentum: 0.9, nesterov: true },
    { type: 'sgd', lr: 1 },
    { type: 'adam', lr: 1e-2 },
    { type: 'adamw', lr: 1e-3, weightDecay: 0.1 },
  ].map((o) => optimizerSpecSchema.parse(o));

  it('holds for ordinary weights and gradients, fails near the top of float32 or for enormous Adam moments', () => {
    const state = createOptimizerState();
    for (const spec of specs) expect(provablyFinite(spec, state, { w: Float32Array.of(1, -2) }, { w: Float32Array.of(0.1, 5) }, spec.lr), spec.type).toBe(true);
    expect(provablyFinite(specs[1]!, state, { w: Float32Array.of(3e38) }, { w: Float32Array.of(-1e38) }, 1)).toBe(false);
    expect(provablyFinite(specs[2]!, state, { w: Float32Array.of(1) }, { w: Float32Array.of(1e33) }, 1e-2)).toBe(false);
    expect(provablyFinite(specs[1]!, state, { w: Float32Array.of(1) }, { w: Float32Array.of(NaN) }, 1)).toBe(false);
  });

  it('scanStep reads ||g||², max |g|, max |θ| and max |moment| in one pass; a NaN anywhere stays NaN', () => {
    const sgd = specs[1]!;
    const state = createOptimizerState();
    const scan = scanStep(sgd, state, { w: Float32Array.of(1, -7, 2), b: Float32Array.of(0.5, 0.25) }, { w: Float32Array.of(3, -4, 12), b: Float32Array.of(-1, 0) });
    expect(scan).toEqual({ w: { gradSq: 169, grad: 12, weight: 7 }, b: { gradSq: 1, grad: 1, weight: 0.5 } });
    for (const at of [0, 1, 2, 3, 4]) {
      const g = Float32Array.of(1, 2, 3, 4, 5);
      g[at] = NaN;
      const s = scanStep(sgd, state, { w: Float32Array.of(9, 8, 7, 6, 5) }, { w: g })['w']!;
      expect([s.gradSq, s.grad, s.weight], `NaN at ${at}`).toEqual([NaN, NaN, 9]);
    }
    const momentum = specs[0]!;
    applyOptimizer(momentum, state, { w: Float32Array.of(1, 1) }, { w: Float32Array.of(2, -3) }, momentum.lr);
    expect(scanStep(momentum, state, { w: Float32Array.of(1, 1) }, { w: Float32Array.of(1, 1) })['w']!.moment).toBe(3);
  });

  it('never says finite when the update then overflows (seeded fuzz over magnitudes up to 1e38)', () => {
    const rng = createRng(7);
    let proved = 0;
    for (let k = 0; k < 400; k++) {
      const spec = specs[k % specs.length]!;
      const state = createOptimizerState();
      const big = (): number => (rng.uniform() - 0.5) * 10 ** (rng.uniform() * 38.5);
      const params = { w: Float32Array.from({ length: 4 }, big) };
      if (k % 3 === 0) applyOptimizer(spec, state, params, { w: Float32Array.from({ length: 4 }, big) }, spec.lr); // momentum buffers
      const grads = { w: Float32Array.from({ length: 4 }, big) };
      if (!Array.from(params.w).every(Number.isFinite)) continue;
      const ok = provablyFinite(spec, state, params, grads, spec.lr);
      applyOptimizer(spec, state, params, grads, spec.lr);
      if (ok) {
        proved++;
        expect(Array.from(params.w).every(Number.isFinite), `${spec.type} case ${k}`).toBe(true);
      }
    }
    expect(proved).toBeGreaterThan(100); // the bound is not vacuous
  });
});
