import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { applyTrainingStep, computeLoss, createOptimizerState, relativeError, type Tensor } from '@gradscope/core';
import { describe, expect, it } from 'vitest';
import { fixturesDir } from './fixtures-dir.js';
import { loadKerasLstmGoldens, loadRecurrentGoldens, loadResidualGoldens, loadTrainingTrajectories } from './load.js';
import type { Float64Tensor, GoldenCase } from './types.js';

/** dL/dy for the case's own output and target, from core's float64 loss. */
function lossGradient(c: GoldenCase): Float64Array {
  return computeLoss(c.loss, c.expected.output.data, c.batch.target.data, c.batch.input.shape[0]!).grad;
}

/** ||dL/dy · W|| over the batch: the gradient norm of the hidden state the readout `W [out, hidden]` reads. */
function readoutInputGradNorm(dy: Float64Array, w: Tensor, batch: number): number {
  const [out, hidden] = w.shape as [number, number];
  let s = 0;
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < hidden; j++) {
      let g = 0;
      for (let o = 0; o < out; o++) g += dy[b * out + o]! * w.data[o * hidden + j]!;
      s += g * g;
    }
  }
  return Math.sqrt(s);
}

function batchSum(dy: Float64Array, batch: number): Float64Array {
  const out = dy.length / batch;
  const sum = new Float64Array(out);
  for (let b = 0; b < batch; b++) for (let o = 0; o < out; o++) sum[o]! += dy[b * out + o]!;
  return sum;
}

describe('golden fixtures', () => {
  const residual = loadResidualGoldens();
  const recurrent = loadRecurrentGoldens();
  const keras = loadKerasLstmGoldens();

  it('stay small enough to ship (< 3 MB in all)', () => {
    const bytes = readdirSync(fixturesDir).reduce((n, f) => n + statSync(join(fixturesDir, f)).size, 0);
    expect(bytes).toBeLessThan(3_000_000);
  });

  it('cover plain and residual nets at depth 1, 4, 12 × relu/tanh/sigmoid × 1-2 layers × both losses', () => {
    const keys = new Set(
      residual.map((c) => c.spec.kind === 'residual' && `${c.spec.block.skip} ${c.spec.block.activation} ${c.spec.depth} ${c.spec.block.layers} ${c.loss}`),
    );
    for (const skip of ['none', 'identity'])
      for (const act of ['relu', 'tanh', 'sigmoid'])
        for (const depth of [1, 4, 12])
          for (const layers of [1, 2])
            for (const loss of ['mse', 'crossEntropy']) expect(keys).toContain(`${skip} ${act} ${depth} ${layers} ${loss}`);
    expect(residual).toHaveLength(72);
  });

  it('cover LSTM, GRU and tanh RNN with 1-2 layers at T = 1, 5, 20 × both losses', () => {
    const keys = new Set(recurrent.map((c) => c.spec.kind === 'recurrent' && `${c.spec.cell} ${c.spec.numLayers} ${c.batch.input.shape[1]} ${c.loss}`));
    for (const cell of ['lstm', 'gru', 'rnn'])
      for (const layers of [1, 2])
        for (const steps of [1, 5, 20])
          for (const loss of ['mse', 'crossEntropy']) expect(keys).toContain(`${cell} ${layers} ${steps} ${loss}`);
    expect(recurrent).toHaveLength(36);
  });

  it.each([...residual, ...recurrent, ...keras].map((c) => [c.id, c] as const))('%s: loss, gradients and norms are consistent', (_, c) => {
    const batch = c.batch.input.shape[0]!;
    // The stored loss is what core's float64 loss gives for the stored output and target.
    const loss = computeLoss(c.loss, c.expected.output.data, c.batch.target.data, batch);
    expect(Math.abs(loss.loss - c.expected.loss)).toBeLessThanOrEqual(1e-12 * Math.abs(c.expected.loss));
    // A gradient for every parameter, with its shape.
    expect(Object.keys(c.expected.grads)).toEqual(Object.keys(c.params));
    for (const [name, g] of Object.entries(c.expected.grads)) expect(g.shape, name).toEqual(c.params[name]!.shape);
    // The readout's bias gradient is dL/dy summed over the batch; its input's gradient norm is the last norm reported.
    const readout = c.spec.kind === 'residual' ? 'head' : 'fc';
    // (Measured against max|dL/dy|: for the Keras case with crossEntropy the sum cancels to ~1e-17.)
    const dy = lossGradient(c);
    const scale = Math.max(...dy.map(Math.abs));
    const sum = batchSum(dy, batch);
    c.expected.grads[`${readout}.bias`]!.data.forEach((g, i) => expect(Math.abs(g - sum[i]!)).toBeLessThan(1e-12 * scale));
    const lastNorm = readoutInputGradNorm(dy, c.params[`${readout}.weight`]!, batch);
    if (c.spec.kind === 'residual') {
      expect(c.expected.blockOutputGradNorms).toHaveLength(c.spec.depth);
      expect(c.expected.blockOutputGradNorms!.at(-1)! / lastNorm - 1).toBeCloseTo(0, 12);
    } else {
      const steps = c.batch.input.shape[1]!;
      const grid = c.expected.hiddenGradNorms!;
      expect(grid.map((row) => row.length)).toEqual(Array(c.spec.numLayers).fill(steps));
      expect(grid.at(-1)!.at(-1)! / lastNorm - 1).toBeCloseTo(0, 12);
      expect(c.expected.inputGradNorms).toHaveLength(steps);
      expect(c.expected.cellGradNorms?.map((row) => row.length)).toEqual(c.spec.cell === 'lstm' ? grid.map((r) => r.length) : undefined);
    }
  });

  it("keep Keras' published LSTM output (lstm_test.py) within float32 precision", () => {
    const published = [0.6288687, 0.86899155, 0.9460773];
    const out = keras[0]!.expected.output.data;
    published.forEach((v, b) => [0, 1, 2].forEach((u) => expect(Math.abs(out[b * 3 + u]! - v)).toBeLessThan(1e-6)));
  });
});

describe('golden training trajectories', () => {
  const trajectories = loadTrainingTrajectories();
  const f64 = (ts: Readonly<Record<string, Float64Tensor | Tensor>>): Record<string, Float64Array> =>
    Object.fromEntries(Object.entries(ts).map(([n, t]) => [n, Float64Array.from(t.data)]));

  it('cover SGD with momentum and weight decay, Adam, AdamW, a step schedule and norm clipping that clips', () => {
    const c = trajectories.map((t) => t.config);
    expect(c.some((x) => x.optimizer.type === 'sgd' && x.optimizer.momentum > 0 && x.optimizer.weightDecay > 0)).toBe(true);
    expect(c.some((x) => x.optimizer.type === 'adam')).toBe(true);
    expect(c.some((x) => x.optimizer.type === 'adamw')).toBe(true);
    expect(c.some((x) => x.schedule.type === 'step')).toBe(true);
    const clipped = trajectories.filter((t) => t.config.clip?.type === 'norm');
    expect(clipped.length).toBeGreaterThan(0);
    for (const t of clipped) for (const s of t.steps) expect(s.clipCoef).toBeLessThan(1);
  });

  it.each(trajectories.map((t) => [t.id, t] as const))("%s: core's training step reproduces torch.optim from the stored gradients", (_, t) => {
    const params = f64(t.params);
    const state = createOptimizerState();
    for (const s of t.steps) {
      const applied = applyTrainingStep(t.config, state, params, f64(s.grads), false, s.loss);
      expect(applied.lr).toBe(s.lr);
      expect(Math.abs(applied.gradNorm - s.gradNorm)).toBeLessThan(1e-12 * s.gradNorm);
      expect(Math.abs(applied.clipCoef - s.clipCoef)).toBeLessThan(1e-12);
      for (const [name, p] of Object.entries(params)) expect(relativeError(p, s.params[name]!.data), `${name} step ${s.step}`).toBeLessThan(1e-12);
    }
  });
});
