import { formatShape, relativeError, shapeEquals } from '@gradscope/core';
import type { CheckLog } from './result.js';

interface AnyTensor {
  readonly shape: readonly number[];
  readonly data: ArrayLike<number>;
}

const fmt = (x: number): string => (Number.isFinite(x) ? x.toExponential(2) : String(x));

/** Tensor agreement: shapes equal and `max|a - b| / max|ref| <= tolerance`. Returns the error measured. */
export function compareTensor(log: CheckLog, what: string, actual: AnyTensor | undefined, expected: AnyTensor, tolerance: number): number {
  if (!actual) {
    log.fail(`${what}: missing`);
    return Infinity;
  }
  if (!shapeEquals(actual.shape, expected.shape) || actual.data.length !== expected.data.length) {
    log.fail(`${what}: shape ${formatShape(actual.shape)}, expected ${formatShape(expected.shape)}`);
    return Infinity;
  }
  const error = relativeError(actual.data, expected.data);
  if (!(error <= tolerance)) {
    let worst = 0;
    for (let i = 0; i < expected.data.length; i++) {
      if (!(Math.abs(actual.data[i]! - expected.data[i]!) <= Math.abs(actual.data[worst]! - expected.data[worst]!))) worst = i;
    }
    log.fail(`${what}: relative error ${fmt(error)} > ${fmt(tolerance)} (worst at [${worst}]: ${actual.data[worst]} vs ${expected.data[worst]})`);
  }
  return error;
}

/** Scalar agreement: `|a - b| <= tolerance * |ref|` (non-finite references must be matched exactly). */
export function compareScalar(log: CheckLog, what: string, actual: number | undefined, expected: number, tolerance: number): void {
  if (actual === undefined) {
    log.fail(`${what}: missing`);
    return;
  }
  if (!scalarClose(actual, expected, tolerance)) {
    log.fail(`${what}: ${actual} vs ${expected} (relative error ${fmt(Math.abs(actual - expected) / Math.abs(expected))} > ${fmt(tolerance)})`);
  }
}

function scalarClose(actual: number, expected: number, tolerance: number): boolean {
  if (!Number.isFinite(expected)) return Object.is(actual, expected);
  return Math.abs(actual - expected) <= tolerance * Math.abs(expected);
}

/** Norm series agreement, value by value, so a vanishing tail is held to the same relative bar as the head. */
export function compareSeries(log: CheckLog, what: string, actual: readonly number[] | undefined, expected: readonly number[], tolerance: number): void {
  if (!actual) {
    log.fail(`${what}: missing`);
    return;
  }
  if (actual.length !== expected.length) {
    log.fail(`${what}: ${actual.length} values, expected ${expected.length}`);
    return;
  }
  const bad = expected.findIndex((e, i) => !scalarClose(actual[i]!, e, tolerance));
  if (bad >= 0) {
    const e = expected[bad]!;
    log.fail(`${what}[${bad}]: ${actual[bad]} vs ${e} (relative error ${fmt(Math.abs(actual[bad]! - e) / Math.abs(e))} > ${fmt(tolerance)})`);
  }
}

/** A `[numLayers][T]` grid of norms, row by row. */
export function compareGrid(log: CheckLog, what: string, actual: readonly (readonly number[])[] | undefined, expected: readonly (readonly number[])[], tolerance: number): void {
  if (!actual) {
    log.fail(`${what}: missing`);
    return;
  }
  if (actual.length !== expected.length) {
    log.fail(`${what}: ${actual.length} layers, expected ${expected.length}`);
    return;
  }
  expected.forEach((row, k) => compareSeries(log, `${what}[${k}]`, actual[k], row, tolerance));
}
