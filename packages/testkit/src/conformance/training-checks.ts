import type { Backend, Batch, Model, NetworkSpec, ParamSet, StepResult, Supports, TrainingConfig } from '@gradscope/core';
import { expectGradscopeError } from './errors.js';
import { withModel } from './models.js';
import { runCheck, type CheckLog, type CheckResult } from './result.js';

/** The simplest config the backend declares: its first optimizer, constant rate, no clipping. */
function plainConfig(supports: Supports, loss = supports.losses[0]!): TrainingConfig {
  const type = supports.optimizers[0]!;
  const optimizer: TrainingConfig['optimizer'] =
    type === 'sgd'
      ? { type, lr: 0.01, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 }
      : { type, lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: type === 'adamw' ? 0.01 : 0 };
  return { loss, optimizer, schedule: { type: 'constant' } };
}

/**
 * Malformed configs (as JavaScript callers and JSON files give them) are `SpecError`s naming the path, never a raw
 * TypeError; training before `configureTraining` is a `TrainingNotConfiguredError`.
 */
export function checkTrainingConfigErrors(backend: Backend, spec: NetworkSpec, params: ParamSet, batch: Batch): Promise<CheckResult> {
  return runCheck((log) =>
    withModel(backend, spec, params, async (model) => {
      await expectGradscopeError(log, 'trainStep() before configureTraining()', 'NOT_CONFIGURED', 'TrainingNotConfiguredError', () => model.trainStep(batch));
      const good = plainConfig(backend.supports);
      const bad: [string, unknown, string][] = [
        ['an unknown optimizer', { ...good, optimizer: { type: 'rmsprop', lr: 0.01 } }, 'optimizer.type'],
        ['a negative learning rate', { ...good, optimizer: { ...good.optimizer, lr: -1 } }, 'optimizer.lr'],
        ['an unknown field', { ...good, momentum: 0.9 }, 'momentum'],
      ];
      for (const [what, config, path] of bad) {
        const message = await expectGradscopeError(log, `configureTraining(${what})`, 'SPEC_INVALID', 'SpecError', () => model.configureTraining(config as TrainingConfig));
        if (message !== undefined) log.expect(message.includes(`${path}:`), `configureTraining(${what}): the message does not name ${path}: ${message}`);
      }
      // A config from plain JavaScript or JSON may leave out what has a default (the schedule is constant then).
      try {
        model.configureTraining({ loss: good.loss, optimizer: good.optimizer } as TrainingConfig);
        const step = await model.trainStep(batch);
        log.expect(step.step === 1 && step.lr === good.optimizer.lr, `a config without schedule: step ${step.step} at lr ${step.lr}, expected step 1 at ${good.optimizer.lr}`);
      } catch (error) {
        log.fail(`a config without schedule: ${String(error)} (the schedule defaults to constant)`);
      }
    }),
  );
}

async function expectRefused(log: CheckLog, model: Model, batch: Batch, why: StepResult['nonFinite'], what: string): Promise<void> {
  const before = await model.getParams();
  const stateBefore = await model.getTrainingState();
  let result: StepResult;
  try {
    result = await model.trainStep(batch, { report: true });
  } catch (error) {
    log.fail(`${what}: trainStep threw ${String(error)}; a non-finite step is refused and reported, never thrown`);
    return;
  }
  log.expect(result.nonFinite === why, `${what}: nonFinite is ${String(result.nonFinite)}, expected "${why}"`);
  log.expect(result.step === stateBefore.step + 1, `${what}: step ${result.step}, expected the attempted step ${stateBefore.step + 1}`);
  const after = await model.getParams();
  const changed = Object.keys(before).filter((n) => !sameBits(before[n]!.data, after[n]!.data));
  log.expect(changed.length === 0, `${what}: the refused step changed ${changed.join(', ')}`);
  const stateAfter = await model.getTrainingState();
  log.expect(stateAfter.step === stateBefore.step, `${what}: the optimizer step moved from ${stateBefore.step} to ${stateAfter.step}`);
  const slots = (s: typeof stateAfter): string => JSON.stringify(Object.entries(s.optimizer.slots).map(([k, v]) => [k, Object.entries(v).map(([n, b]) => [n, Array.from(b)])]));
  log.expect(slots(stateAfter) === slots(stateBefore), `${what}: the refused step changed the optimizer buffers`);
}

function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/**
 * One non-finite rule on every backend: a step whose loss is not finite (mse against a NaN target), or whose update
 * would overflow float32 (an enormous weight decay), is refused — no throw, `nonFinite` says why, and weights and
 * optimizer state stay exactly as they were. A good step afterwards trains as usual.
 */
export function checkNonFiniteStep(backend: Backend, spec: NetworkSpec, params: ParamSet, batch: Batch): Promise<CheckResult> {
  return runCheck((log) =>
    withModel(backend, spec, params, async (model) => {
      const good = plainConfig(backend.supports, 'mse');
      const target = { shape: [batch.input.shape[0]!, spec.outputSize], data: new Float32Array(batch.input.shape[0]! * spec.outputSize).fill(0.5) };
      const mseBatch = { input: batch.input, target };
      model.configureTraining(good);
      const first = await model.trainStep(mseBatch);
      log.expect(first.nonFinite === undefined, `a good step was refused (${String(first.nonFinite)})`);
      await expectRefused(log, model, { input: batch.input, target: { ...target, data: target.data.map((v, i) => (i === 0 ? NaN : v)) } }, 'loss', 'a NaN target');
      if (backend.supports.optimizers.includes('sgd')) {
        model.configureTraining({ ...good, optimizer: { type: 'sgd', lr: 1e30, momentum: 0, dampening: 0, nesterov: false, weightDecay: 1e20 } });
        await expectRefused(log, model, mseBatch, 'weights', 'an update past float32');
      } else log.note('no sgd: the float32-overflow case is not run');
      model.configureTraining(good);
      const after = await model.trainStep(mseBatch);
      log.expect(after.nonFinite === undefined && after.step === 1, `a good step after refused ones: step ${after.step}, nonFinite ${String(after.nonFinite)}`);
    }),
  );
}
