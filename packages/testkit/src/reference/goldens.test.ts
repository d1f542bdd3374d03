import { parseSpec, relativeError, type ArchitectureNorms } from '@gradscope/core';
import { describe, expect, it } from 'vitest';
import { loadGoldenCases, loadTrainingTrajectories } from '../goldens/load.js';
import { createReferenceBackend } from './backend.js';

// The reference's own bar (DESIGN.md): PyTorch's float64 results to 1e-9, through the float64 methods so that
// float32 rounding of the Model contract does not hide or cause differences.
const TOLERANCE = 1e-9;

/**
 * Each norm against the golden value itself. A norm below 1e-12 of its series' largest value is rounding noise in
 * float64 on both sides (e.g. Keras' symmetric LSTM under cross-entropy, where the gradient cancels exactly), so
 * there only its size is checked.
 */
function expectNormsClose(got: readonly number[], want: readonly number[], what: string): void {
  expect(got, what).toHaveLength(want.length);
  const scale = Math.max(...want.map(Math.abs));
  want.forEach((w, i) => {
    if (Math.abs(w) < 1e-12 * scale) expect(Math.abs(got[i]!), `${what}[${i}] (rounding level)`).toBeLessThan(1e-12 * scale);
    else expect(Math.abs(got[i]! - w) / Math.abs(w), `${what}[${i}]`).toBeLessThanOrEqual(TOLERANCE);
  });
}

describe('reference vs PyTorch float64 goldens (1e-9)', () => {
  const backend = createReferenceBackend();
  it.each(loadGoldenCases().map((c) => [c.id, c] as const))('%s', async (_, golden) => {
    const model = await backend.createModel(golden.spec, golden.params);
    const r = await model.computeGradients64(golden.batch, golden.loss);
    expect(relativeError(r.output.data, golden.expected.output.data), 'output').toBeLessThanOrEqual(TOLERANCE);
    expect(Math.abs(r.loss - golden.expected.loss) / Math.abs(golden.expected.loss), 'loss').toBeLessThanOrEqual(TOLERANCE);
    for (const [name, g] of Object.entries(golden.expected.grads)) {
      expect(relativeError(r.grads[name]!.data, g.data), name).toBeLessThanOrEqual(TOLERANCE);
    }
    const fields = ['blockOutputGradNorms', 'inputGradNorms'] as const satisfies readonly (keyof ArchitectureNorms)[];
    for (const f of fields) if (golden.expected[f]) expectNormsClose(r[f]!, golden.expected[f], f);
    for (const f of ['hiddenGradNorms', 'cellGradNorms'] as const) {
      golden.expected[f]?.forEach((row, l) => expectNormsClose(r[f]![l]!, row, `${f}[${l}]`));
    }
    await model.dispose();
  });
});

describe('reference training trajectories vs PyTorch (1e-9)', () => {
  it.each(loadTrainingTrajectories().map((t) => [t.id, t] as const))('%s', async (_, trajectory) => {
    const model = await createReferenceBackend().createModel(parseSpec(trajectory.spec), trajectory.params);
    model.configureTraining(trajectory.config);
    let before = await model.getParams64();
    let goldenBefore: Record<string, { data: ArrayLike<number> }> = trajectory.params;
    for (const s of trajectory.steps) {
      const r = await model.trainStep64(trajectory.batch);
      expect(r.step).toBe(s.step);
      for (const [what, got, want] of [
        ['loss', r.loss, s.loss],
        ['lr', r.lr, s.lr],
        ['gradNorm', r.gradNorm, s.gradNorm],
        ['clipCoef', r.clipCoef, s.clipCoef],
      ] as const) {
        expect(Math.abs(got - want) / Math.abs(want), `step ${s.step} ${what}`).toBeLessThanOrEqual(TOLERANCE);
      }
      const params = await model.getParams64();
      for (const [name, p] of Object.entries(s.params)) {
        expect(relativeError(params[name]!.data, p.data), `step ${s.step} ${name}`).toBeLessThanOrEqual(TOLERANCE);
        // The change itself, so an update rule wrong by a little cannot hide behind the size of the weights.
        const change = params[name]!.data.map((v, i) => v - before[name]!.data[i]!);
        const goldenChange = p.data.map((v, i) => v - goldenBefore[name]!.data[i]!);
        expect(relativeError(change, goldenChange), `step ${s.step} change of ${name}`).toBeLessThanOrEqual(TOLERANCE);
      }
      before = params;
      goldenBefore = s.params;
    }
  });
});
