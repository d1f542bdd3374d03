import { cloneParams, paramShapes, parseTrainingConfig, type Backend } from '@gradscope/core';
import type { ConvGoldenCase } from '../goldens/conv.js';
import { compareGradients } from './agreement.js';
import { compareTensor } from './compare.js';
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
