import {
  activations,
  cellTypes,
  clipModes,
  lossNames,
  optimizerNames,
  paramShapes,
  scheduleNames,
  zeros,
  type Backend,
  type Activation,
  type Batch,
  type LossName,
  type NetworkSpec,
  type ParamSet,
  type TrainingConfig,
} from '@gradscope/core';
import { expectGradscopeError } from './errors.js';
import { withModel } from './models.js';
import { runCheck, type CheckResult } from './result.js';

/** An undeclared feature and how to ask for it. */
export interface UndeclaredFeature {
  /** How `NotSupportedError` names it, e.g. `recurrent cell "gru"`. */
  readonly feature: string;
  /** The word the error message must contain, e.g. `gru`. */
  readonly word: string;
  readonly kind: 'spec' | 'loss' | 'training';
  readonly spec?: NetworkSpec;
  readonly config?: TrainingConfig;
}

const zeroParams = (spec: NetworkSpec): ParamSet => Object.fromEntries(paramShapes(spec).map((p) => [p.name, zeros(p.shape)]));

/** Every feature core defines that the backend's `supports` manifest leaves out. */
export function undeclaredFeatures(supports: Backend['supports'], mse: boolean): UndeclaredFeature[] {
  const out: UndeclaredFeature[] = [];
  for (const cell of cellTypes.filter((c) => !supports.recurrent.cells.includes(c))) {
    const spec: NetworkSpec = { specVersion: 1, kind: 'recurrent', cell, inputSize: 2, hiddenSize: 3, numLayers: 1, outputSize: 1 };
    out.push({ feature: `recurrent cell "${cell}"`, word: cell, kind: 'spec', spec });
  }
  const dense = (activation: Activation): NetworkSpec => ({ specVersion: 1, kind: 'residual', variant: 'dense', inputSize: 2, outputSize: 1, width: 3, depth: 1, block: { layers: 1, activation, skip: 'identity' } });
  if (!supports.residual.variants.includes('dense')) {
    out.push({ feature: 'residual variant "dense"', word: 'dense', kind: 'spec', spec: dense(activations[0]) });
  } else {
    for (const activation of activations.filter((a) => !supports.residual.activations.includes(a))) {
      out.push({ feature: `activation "${activation}"`, word: activation, kind: 'spec', spec: dense(activation) });
    }
  }
  for (const loss of lossNames.filter((l) => !supports.losses.includes(l))) out.push({ feature: `loss "${loss}"`, word: loss, kind: 'loss' });
  const sgd: TrainingConfig = { loss: mse ? 'mse' : 'crossEntropy', optimizer: { type: 'sgd', lr: 0.1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 }, schedule: { type: 'constant' } };
  if (!supports.training) {
    out.push({ feature: 'training', word: 'training', kind: 'training', config: sgd });
    return out;
  }
  for (const type of optimizerNames.filter((o) => !supports.optimizers.includes(o))) {
    const optimizer: TrainingConfig['optimizer'] = type === 'sgd' ? sgd.optimizer : { type, lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 };
    out.push({ feature: `optimizer "${type}"`, word: type, kind: 'training', config: { ...sgd, optimizer } });
  }
  for (const type of scheduleNames.filter((s) => !supports.schedules.includes(s))) {
    const schedule: TrainingConfig['schedule'] = type === 'step' ? { type, stepSize: 1, gamma: 0.5 } : type === 'cosine' ? { type, tMax: 10, etaMin: 0 } : { type };
    out.push({ feature: `schedule "${type}"`, word: type, kind: 'training', config: { ...sgd, schedule } });
  }
  for (const type of clipModes.filter((c) => !supports.clipping.includes(c))) {
    const clip: TrainingConfig['clip'] = type === 'norm' ? { type, maxNorm: 1 } : { type, clipValue: 1 };
    out.push({ feature: `clipping "${type}"`, word: type, kind: 'training', config: { ...sgd, clip } });
  }
  return out;
}

/**
 * Asking for an undeclared feature throws NotSupportedError naming it: createModel for a spec feature,
 * computeGradients for a loss, configureTraining for training options. `spec`/`params`/`batch` are a supported model.
 */
export function checkNotSupported(backend: Backend, feature: UndeclaredFeature, spec: NetworkSpec, params: ParamSet, batch: Batch): Promise<CheckResult> {
  return runCheck(async (log) => {
    const expectIt = async (action: () => unknown): Promise<void> => {
      const message = await expectGradscopeError(log, `asking for ${feature.feature}`, 'NOT_SUPPORTED', 'NotSupportedError', action);
      if (message !== undefined) log.expect(message.includes(feature.word), `NotSupportedError does not name ${feature.word}: "${message}"`);
    };
    if (feature.kind === 'spec') {
      await expectIt(async () => {
        const model = await backend.createModel(feature.spec!, zeroParams(feature.spec!));
        await model.dispose();
      });
      return;
    }
    await withModel(backend, spec, params, async (model) => {
      if (feature.kind === 'loss') {
        const loss = feature.word as LossName;
        const rows = batch.input.shape[0]!;
        const target = zeros(loss === 'mse' ? [rows, spec.outputSize] : [rows]);
        await expectIt(() => model.computeGradients({ input: batch.input, target }, loss));
      }
      else await expectIt(() => model.configureTraining(feature.config!));
    });
  });
}
