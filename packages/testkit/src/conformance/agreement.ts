import type { ArchitectureNorms, GradientResult, ReportField, Supports } from '@gradscope/core';
import { compareGrid, compareScalar, compareSeries, compareTensor } from './compare.js';
import type { CheckLog } from './result.js';
import type { Tolerances } from './tolerances.js';

interface Float64Like {
  readonly shape: readonly number[];
  readonly data: ArrayLike<number>;
}

/** What a backend's `computeGradients` is compared with: a golden expectation or the reference's answer. */
export interface ExpectedGradients extends ArchitectureNorms {
  readonly output: Float64Like;
  readonly loss: number;
  readonly grads: Readonly<Record<string, Float64Like>>;
}

/**
 * Compares a gradient result with the expected one: output and loss (forward tolerance), every parameter gradient
 * (gradient tolerance, and no extra names), and each report norm the backend declares (norm-series tolerance).
 */
export function compareGradients(log: CheckLog, actual: GradientResult, expected: ExpectedGradients, supports: Supports, tol: Tolerances): void {
  compareTensor(log, 'output', actual.output, expected.output, tol.forward);
  compareScalar(log, 'loss', actual.loss, expected.loss, tol.forward);
  let worstGrad = 0;
  for (const [name, g] of Object.entries(expected.grads)) {
    worstGrad = Math.max(worstGrad, compareTensor(log, `gradient of ${name}`, actual.grads[name], g, tol.gradient));
  }
  const extra = Object.keys(actual.grads).filter((n) => !(n in expected.grads));
  if (extra.length) log.fail(`unexpected gradients: ${extra.join(', ')}`);
  log.note(`worst gradient relative error ${worstGrad.toExponential(2)}`);
  const declared = (field: ReportField): boolean => supports.report.includes(field);
  if (expected.blockOutputGradNorms && declared('blockOutputGradNorms')) {
    compareSeries(log, 'blockOutputGradNorms', actual.blockOutputGradNorms, expected.blockOutputGradNorms, tol.normSeries);
  }
  if (expected.hiddenGradNorms && declared('hiddenGradNorms')) compareGrid(log, 'hiddenGradNorms', actual.hiddenGradNorms, expected.hiddenGradNorms, tol.normSeries);
  if (expected.cellGradNorms && declared('cellGradNorms')) compareGrid(log, 'cellGradNorms', actual.cellGradNorms, expected.cellGradNorms, tol.normSeries);
  if (expected.inputGradNorms && declared('inputGradNorms')) compareSeries(log, 'inputGradNorms', actual.inputGradNorms, expected.inputGradNorms, tol.normSeries);
}
