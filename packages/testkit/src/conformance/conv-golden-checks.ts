import { cloneParams, GradscopeError, paramShapes, parseTrainingConfig, type Backend } from '@gradscope/core';
import type { ConvGoldenCase, ConvGoldenTrajectory } from '../goldens/conv.js';
import { compareGradients } from './agreement.js';
import { compareScalar, compareTensor } from './compare.js';
import { compareChange } from './golden-checks.js';
import { runCheck, type CheckResult } from './result.js';
import { CONFORMANCE_TOLERANCES } from './tolerances.js';

/**
 * One conv golden case on a backend: the model is put in the golden's BatchNorm mode (`setBatchNormMode`), then
 * `forward` and `computeGradients` are compared with PyTorch (output, loss, trainable gradients, per-block norms).
 * In BN train mode, when the backend declares training, one SGD step must leave PyTorch's
 * running statistics (momentum 0.1, unbiased variance) in `getParams()`.
 */
export function checkConvGoldenCase(backend: Backend, golden: ConvGoldenCase): Promise<CheckResult> {
  const tol = CONFORMANCE_TOLERANCES;
  return runCheck(async (log) => {
    const model = await backend.createModel(golden.spec, cloneParams(golden.params));
    try {
      if (golden.mode === 'eval') {
        if (!model.setBatchNormMode) {
          log.fail('the model has no setBatchNormMode(mode), so it cannot run BatchNorm in eval mode');
          return;
        }
        model.setBatchNormMode('eval');
      }
      compareTensor(log, 'forward output', await model.forward(golden.batch.input), golden.expected.output, tol.forward);
      compareGradients(log, await model.computeGradients(golden.batch, golden.loss), golden.expected, backend.supports, tol);
      const stats = golden.expected.runningStats;
      if (!stats) return;
      if (!backend.supports.training || !backend.supports.optimizers.includes('sgd')) {
        log.note('running statistics not checked: the backend does not declare training with sgd');
        return;
      }
      // Running statistics come from the step's forward alone, whatever the learning rate.
      model.configureTraining(parseTrainingConfig({ loss: golden.loss, optimizer: { type: 'sgd', lr: 0.1 } }));
      await model.trainStep(golden.batch);
      const after = await model.getParams();
      for (const p of paramShapes(golden.spec)) {
        if (p.trainable === false) compareTensor(log, `${p.name} after a training step`, after[p.name], stats[p.name]!, tol.forward);
      }
    } finally {
      await model.dispose();
    }
  });
}

/**
 * A conv training trajectory in BN train mode: each step's loss and pre-clip gradient norm, then every tensor's change
 * during the step (gradient tolerance) and value after it (forward tolerance) — running statistics included, which
 * each step's forward moves.
 */
export function checkConvTrajectory(backend: Backend, trajectory: ConvGoldenTrajectory): Promise<CheckResult> {
  const tol = CONFORMANCE_TOLERANCES;
  return runCheck(async (log) => {
    const model = await backend.createModel(trajectory.spec, cloneParams(trajectory.params));
    try {
      model.configureTraining(trajectory.config);
      let before: Record<string, ArrayLike<number>> = Object.fromEntries(Object.entries(trajectory.params).map(([n, t]) => [n, t.data]));
      let goldenBefore = before;
      for (const s of trajectory.steps) {
        const at = `step ${s.step}`;
        const r = await model.trainStep(trajectory.batch);
        compareScalar(log, `${at} loss`, r.loss, s.loss, tol.forward);
        compareScalar(log, `${at} gradient norm`, r.gradNorm, s.gradNorm, tol.gradient);
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
    } finally {
      await model.dispose();
    }
  });
}

/**
 * Contract checks on a conv model: `getParams` returns every tensor it was created with, running statistics
 * included, bit for bit; an input that is not NCHW `[batch, C, H, W]` is a `ShapeError` naming that shape.
 */
export function checkConvContract(backend: Backend, golden: ConvGoldenCase): Promise<CheckResult> {
  return runCheck(async (log) => {
    const model = await backend.createModel(golden.spec, cloneParams(golden.params));
    try {
      const got = await model.getParams();
      for (const p of paramShapes(golden.spec)) {
        const t = got[p.name];
        const want = golden.params[p.name]!.data;
        if (!t) log.fail(`getParams() has no ${p.name}`);
        else if (t.data.length !== want.length || t.data.some((v, i) => !Object.is(v, want[i]))) log.fail(`getParams() ${p.name} differs from the weights the model was created with`);
      }
      const [n, c, h, w] = golden.batch.input.shape as [number, number, number, number];
      const wrong = { shape: [n, c * h, w], data: golden.batch.input.data };
      const expected = `[batch, ${c}, ${h}, ${w}]`;
      try {
        await model.forward(wrong);
        log.fail(`forward of shape [${wrong.shape.join(', ')}]: expected a ShapeError, but nothing was thrown`);
      } catch (e) {
        const ok = e instanceof GradscopeError && e.code === 'SHAPE_MISMATCH' && e.message.includes(expected);
        log.expect(ok, `forward of shape [${wrong.shape.join(', ')}]: expected a ShapeError naming ${expected}, got ${String(e)}`);
      }
    } finally {
      await model.dispose();
    }
  });
}
