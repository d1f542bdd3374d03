import { describe, expect, it } from 'vitest';
import { compareGradients } from '../conformance/agreement.js';
import { compareScalar, compareTensor } from '../conformance/compare.js';
import { CheckLog } from '../conformance/result.js';
import { REFERENCE_TOLERANCES as tol } from '../conformance/tolerances.js';
import { createReferenceBackend, referenceSupports } from '../reference/backend.js';
import { loadGoldenCases, loadTrainingTrajectories } from './load.js';
import type { Float64Tensor } from './types.js';

const change = (a: Float64Array, b: Float64Array): Float64Array => a.map((v, i) => v - b[i]!);

// The reference is the oracle: through its float64 methods it must match PyTorch's float64 goldens to 1e-9
// (outputs, losses, every gradient, every norm of the report, every step of every trajectory).
const backend = createReferenceBackend();

describe('the reference backend matches every PyTorch golden to 1e-9', () => {
  it.each(loadGoldenCases().map((c) => [c.id, c] as const))('%s', async (_, c) => {
    const model = await backend.createModel(c.spec, c.params);
    const log = new CheckLog();
    compareTensor(log, 'forward64 output', await model.forward64(c.batch.input), c.expected.output, tol.forward);
    compareGradients(log, await model.computeGradients64(c.batch, c.loss), c.expected, referenceSupports, tol);
    await model.dispose();
    expect(log.result().failures).toEqual([]);
  });

  it.each(loadTrainingTrajectories().map((t) => [t.id, t] as const))('trajectory %s', async (_, t) => {
    const model = await backend.createModel(t.spec, t.params);
    model.configureTraining(t.config);
    const log = new CheckLog();
    let before = await model.getParams64();
    let goldenBefore: Record<string, Float64Tensor> = Object.fromEntries(Object.entries(t.params).map(([n, p]) => [n, { shape: p.shape, data: Float64Array.from(p.data) }]));
    for (const s of t.steps) {
      const r = await model.trainStep(t.batch);
      compareScalar(log, `step ${s.step} loss`, r.loss, s.loss, tol.forward);
      compareScalar(log, `step ${s.step} lr`, r.lr, s.lr, tol.forward);
      compareScalar(log, `step ${s.step} gradNorm`, r.gradNorm, s.gradNorm, tol.gradient);
      compareScalar(log, `step ${s.step} clipCoef`, r.clipCoef, s.clipCoef, tol.gradient);
      const after = await model.getParams64();
      for (const [name, golden] of Object.entries(s.params)) {
        compareTensor(log, `step ${s.step} change of ${name}`, { shape: golden.shape, data: change(after[name]!.data, before[name]!.data) }, { shape: golden.shape, data: change(golden.data, goldenBefore[name]!.data) }, tol.gradient);
        compareTensor(log, `step ${s.step} value of ${name}`, after[name], golden, tol.forward);
      }
      before = after;
      goldenBefore = { ...s.params };
    }
    await model.dispose();
    expect(log.result().failures).toEqual([]);
  });
});
