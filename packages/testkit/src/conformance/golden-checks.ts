import type { Backend } from '@gradscope/core';
import type { GoldenCase, GoldenTrajectory } from '../goldens/types.js';
import { compareGradients } from './agreement.js';
import { compareScalar, compareTensor } from './compare.js';
import { withModel } from './models.js';
import { runCheck, type CheckLog, type CheckResult } from './result.js';
import { CONFORMANCE_TOLERANCES } from './tolerances.js';

/**
 * One golden case on a backend: `forward` and `computeGradients` against PyTorch's float64 results — output, loss,
 * every parameter gradient and every report norm the backend declares.
 */
export function checkGoldenCase(backend: Backend, golden: GoldenCase): Promise<CheckResult> {
  const tol = CONFORMANCE_TOLERANCES;
  return runCheck((log) =>
    withModel(backend, golden.spec, golden.params, async (model) => {
      compareTensor(log, 'forward output', await model.forward(golden.batch.input), golden.expected.output, tol.forward);
      const result = await model.computeGradients(golden.batch, golden.loss);
      compareGradients(log, result, golden.expected, backend.supports, tol);
    }),
  );
}

/**
 * A golden training trajectory on a backend: configure, take the steps on the batch, and compare each step's loss,
 * learning rate, pre-clip gradient norm and clip coefficient, then every parameter's *change* during the step
 * (gradient tolerance) and its value after it (forward tolerance). Comparing changes catches an update rule that is
 * wrong by a small amount, which parameter values alone would hide behind the weights' size.
 */
export function checkTrajectory(backend: Backend, trajectory: GoldenTrajectory): Promise<CheckResult> {
  const tol = CONFORMANCE_TOLERANCES;
  return runCheck((log) =>
    withModel(backend, trajectory.spec, trajectory.params, async (model) => {
      model.configureTraining(trajectory.config);
      let before: Record<string, ArrayLike<number>> = Object.fromEntries(Object.entries(trajectory.params).map(([n, t]) => [n, t.data]));
      let goldenBefore = before;
      for (const s of trajectory.steps) {
        const at = `step ${s.step}`;
        const r = await model.trainStep(trajectory.batch);
        log.expect(r.step === s.step, `${at}: StepResult.step is ${r.step}`);
        compareScalar(log, `${at} loss`, r.loss, s.loss, tol.forward);
        compareScalar(log, `${at} learning rate`, r.lr, s.lr, tol.forward);
        compareScalar(log, `${at} pre-clip gradient norm`, r.gradNorm, s.gradNorm, tol.gradient);
        compareScalar(log, `${at} clip coefficient`, r.clipCoef, s.clipCoef, tol.gradient);
        const after = await model.getParams();
        for (const [name, golden] of Object.entries(s.params)) {
          const got = after[name];
          if (!got) {
            log.fail(`${at}: getParams() has no ${name}`);
            continue;
          }
          compareChange(log, `${at} change of ${name}`, got.data, before[name]!, golden.data, goldenBefore[name]!, tol.gradient);
          compareTensor(log, `${at} value of ${name}`, got, golden, tol.forward);
        }
        before = Object.fromEntries(Object.entries(after).map(([n, t]) => [n, t.data]));
        goldenBefore = Object.fromEntries(Object.entries(s.params).map(([n, t]) => [n, t.data]));
      }
    }),
  );
}

/** The spacing of float32 numbers at `x` (one unit in the last place). */
export function float32Ulp(x: number): number {
  const a = Math.abs(x);
  return a < 2 ** -126 ? 2 ** -149 : 2 ** (Math.floor(Math.log2(a)) - 23);
}

/**
 * A parameter's change during one step against the golden change: `max|Δ - Δref| / max|Δref| <= tolerance`, where
 * each difference is first reduced by one float32 ulp of the parameter — a change read from float32 weights is known
 * only to that resolution (in a vanishing-gradient layer the change can be a few ulps).
 */
export function compareChange(
  log: CheckLog,
  what: string,
  after: ArrayLike<number>,
  before: ArrayLike<number>,
  goldenAfter: ArrayLike<number>,
  goldenBefore: ArrayLike<number>,
  tolerance: number,
): void {
  let maxRef = 0;
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < goldenAfter.length; i++) {
    const ref = goldenAfter[i]! - goldenBefore[i]!;
    maxRef = Math.max(maxRef, Math.abs(ref));
    const excess = Math.abs(after[i]! - before[i]! - ref) - float32Ulp(Math.max(Math.abs(after[i]!), Math.abs(before[i]!)));
    if (!(excess <= worstExcess)) {
      worstExcess = excess;
      worst = i;
    }
  }
  const error = worst < 0 ? 0 : maxRef === 0 ? worstExcess : worstExcess / maxRef;
  if (!(error <= tolerance)) {
    const i = worst;
    log.fail(`${what}: relative error ${error.toExponential(2)} > ${tolerance.toExponential(2)} (worst at [${i}]: ${after[i]! - before[i]!} vs ${goldenAfter[i]! - goldenBefore[i]!})`);
  }
}
