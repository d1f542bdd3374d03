import { parseTrainingConfig, type Backend, type Batch, type LossName, type Model, type NetworkSpec, type ParamSet } from '@gradscope/core';
import { expectGradscopeError } from './errors.js';
import type { BackendFactory } from './models.js';
import { runCheck, type CheckLog, type CheckResult } from './result.js';

async function expectDisposed(log: CheckLog, owner: Pick<Backend, 'supports'>, model: Model, params: ParamSet, batch: Batch, loss: LossName, when: string): Promise<void> {
  const calls: [string, () => unknown][] = [
    ['forward', () => model.forward(batch.input)],
    ['computeGradients', () => model.computeGradients(batch, loss)],
    ['getParams', () => model.getParams()],
    ['setParams', () => model.setParams(params)],
    ['getTrainingState', () => model.getTrainingState()],
  ];
  if (owner.supports.training && owner.supports.optimizers.length) {
    const config = parseTrainingConfig({ loss, optimizer: { type: owner.supports.optimizers[0]!, lr: 0.01 } });
    calls.push(['configureTraining', () => model.configureTraining(config)], ['trainStep', () => model.trainStep(batch)]);
  }
  for (const [name, call] of calls) await expectGradscopeError(log, `${name}() ${when}`, 'DISPOSED', 'DisposedError', call);
}

/** Every model method throws DisposedError after `model.dispose()`, and a second dispose() is harmless. */
export function checkUseAfterDispose(backend: Backend, spec: NetworkSpec, params: ParamSet, batch: Batch, loss: LossName): Promise<CheckResult> {
  return runCheck(async (log) => {
    const model = await backend.createModel(spec, params);
    await model.forward(batch.input);
    await model.dispose();
    await expectDisposed(log, backend, model, params, batch, loss, 'after model.dispose()');
    await model.dispose();
  });
}

/** `backend.dispose()` disposes the models it created, and createModel afterwards is a DisposedError too. */
export function checkBackendDispose(factory: BackendFactory, spec: NetworkSpec, params: ParamSet, batch: Batch, loss: LossName): Promise<CheckResult> {
  return runCheck(async (log) => {
    const backend = await factory();
    const model = await backend.createModel(spec, params);
    await backend.dispose();
    await expectDisposed(log, backend, model, params, batch, loss, 'after backend.dispose()');
    await expectGradscopeError(log, 'createModel() after backend.dispose()', 'DISPOSED', 'DisposedError', () => backend.createModel(spec, params));
  });
}

/**
 * The runtime's resource count (e.g. `tf.memory().numTensors`) is back to its baseline after a model is used and
 * disposed, and after the backend is disposed.
 */
export function checkResourcesReleased(
  factory: BackendFactory,
  resourceCount: () => number,
  spec: NetworkSpec,
  params: ParamSet,
  batch: Batch,
  loss: LossName,
): Promise<CheckResult> {
  return runCheck(async (log) => {
    const beforeBackend = resourceCount();
    const backend = await factory();
    const beforeModel = resourceCount();
    const model = await backend.createModel(spec, params);
    await model.forward(batch.input);
    await model.computeGradients(batch, loss);
    if (backend.supports.training && backend.supports.optimizers.includes('sgd')) {
      model.configureTraining({ loss, optimizer: { type: 'sgd', lr: 0.01, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0 }, schedule: { type: 'constant' } });
      await model.trainStep(batch, { report: true });
    }
    await model.dispose();
    const afterModel = resourceCount();
    log.expect(afterModel === beforeModel, `resource count ${afterModel} after model.dispose(), ${beforeModel} before createModel`);
    await backend.dispose();
    const afterBackend = resourceCount();
    log.expect(afterBackend === beforeBackend, `resource count ${afterBackend} after backend.dispose(), ${beforeBackend} before the backend was created`);
    log.note(`resource count ${beforeBackend} -> ${afterBackend}`);
  });
}
