import type { Backend, Batch, NetworkSpec, ParamSet, StepResult, Supports, TrainingConfig } from '@gradscope/core';
import { compareScalar, compareTensor } from './compare.js';
import { withModel } from './models.js';
import { runCheck, type CheckResult } from './result.js';
import { CONFORMANCE_TOLERANCES } from './tolerances.js';

/**
 * A training config that makes the optimizer state matter for resuming: Adam (its moments and bias correction
 * depend on the step), a step schedule that changes the rate at the resume point, and norm clipping — each only
 * when the backend declares it.
 */
export function resumeConfig(supports: Supports): TrainingConfig {
  const optimizer: TrainingConfig['optimizer'] = supports.optimizers.includes('adam')
    ? { type: 'adam', lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 }
    : supports.optimizers.includes('sgd')
      ? { type: 'sgd', lr: 0.05, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0 }
      : { type: 'adamw', lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01 };
  return {
    loss: supports.losses.includes('mse') ? 'mse' : supports.losses[0]!,
    optimizer,
    schedule: supports.schedules.includes('step') ? { type: 'step', stepSize: 2, gamma: 0.5 } : { type: 'constant' },
    ...(supports.clipping.includes('norm') && { clip: { type: 'norm', maxNorm: 0.5 } }),
  };
}

const STEPS_BEFORE = 2;
const STEPS_AFTER = 2;

/**
 * Checkpoint/resume: train STEPS_BEFORE steps, save `getTrainingState()` + `getParams()` (through structuredClone, as a
 * file would), restore both into a fresh model and train STEPS_AFTER more; losses, step numbers and final weights
 * must equal an uninterrupted run of STEPS_BEFORE + STEPS_AFTER steps.
 */
export function checkCheckpointResume(backend: Backend, spec: NetworkSpec, params: ParamSet, batch: Batch): Promise<CheckResult> {
  const config = resumeConfig(backend.supports);
  const tol = CONFORMANCE_TOLERANCES;
  return runCheck(async (log) => {
    const uninterrupted: StepResult[] = [];
    const finalParams = await withModel(backend, spec, params, async (model) => {
      model.configureTraining(config);
      for (let i = 0; i < STEPS_BEFORE + STEPS_AFTER; i++) uninterrupted.push(await model.trainStep(batch));
      return model.getParams();
    });
    const saved = await withModel(backend, spec, params, async (model) => {
      model.configureTraining(config);
      for (let i = 0; i < STEPS_BEFORE; i++) await model.trainStep(batch);
      return structuredClone({ params: await model.getParams(), state: await model.getTrainingState() });
    });
    log.expect(saved.state.step === STEPS_BEFORE, `getTrainingState().step is ${saved.state.step} after ${STEPS_BEFORE} steps`);
    await withModel(backend, spec, saved.params, async (model) => {
      model.configureTraining(config);
      await model.setTrainingState(saved.state);
      for (let i = STEPS_BEFORE; i < STEPS_BEFORE + STEPS_AFTER; i++) {
        const r = await model.trainStep(batch);
        const want = uninterrupted[i]!;
        log.expect(r.step === want.step, `resumed step numbered ${r.step}, uninterrupted ${want.step}`);
        compareScalar(log, `resumed step ${want.step} loss`, r.loss, want.loss, tol.forward);
        compareScalar(log, `resumed step ${want.step} learning rate`, r.lr, want.lr, tol.forward);
      }
      const resumed = await model.getParams();
      for (const [name, t] of Object.entries(finalParams)) compareTensor(log, `resumed ${name}`, resumed[name], t, tol.forward);
    });
  });
}
