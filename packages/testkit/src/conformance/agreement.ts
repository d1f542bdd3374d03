import type { ArchitectureNorms, ReportField, Supports } from '@gradscope/core';
import { compareGrid, compareScalar, compareSeries, compareTensor } from './compare.js';
import type { CheckLog } from './result.js';
import type { Tolerances } from './tolerances.js';

interface Float64Like {
  readonly shape: readonly number[];
  readonly data: ArrayLike<number>;
}

/** A gradient result of either precision: a backend's answer, a golden expectation or the reference's answer. */
export interface ComparableGradients extends ArchitectureNorms {
  readonly output: Float64Like;
  readonly loss: number;
  readonly grads: Readonly<Record<string, Float64Like>>;
}

/**
 * Compares a gradient result with the expected one: output and loss (forward tolerance), every parameter gradient
 * (gradient tolerance, and no extra names), and each report series the expectation has and the backend declares
 * (norm-series tolerance, value by value; the goldens carry no dead-unit fractions, the reference does).
 */
export function compareGradients(log: CheckLog, actual: ComparableGradients, expected: ComparableGradients, supports: Supports, tol: Tolerances): void {
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
  if (expected.deadUnitFractions && declared('deadUnitFractions')) {
    compareSeries(log, 'deadUnitFractions', actual.deadUnitFractions, expected.deadUnitFractions, tol.normSeries);
  }
  if (expected.hiddenGradNorms && declared('hiddenGradNorms')) compareGrid(log, 'hiddenGradNorms', actual.hiddenGradNorms, expected.hiddenGradNorms, tol.normSeries);
  if (expected.cellGradNorms && declared('cellGradNorms')) compareGrid(log, 'cellGradNorms', actual.cellGradNorms, expected.cellGradNorms, tol.normSeries);
  if (expected.inputGradNorms && declared('inputGradNorms')) compareSeries(log, 'inputGradNorms', actual.inputGradNorms, expected.inputGradNorms, tol.normSeries);
}
