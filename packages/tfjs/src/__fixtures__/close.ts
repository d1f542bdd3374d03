// Test helpers: DESIGN.md's tolerances as vitest expectations.
import { relativeError } from '@gradscope/core';
import { expect } from 'vitest';

/** DESIGN.md's tensor tolerance: `max|a - b| / max|ref|`. */
export function expectTensorClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  const err = relativeError(actual, expected);
  expect(err, `${what}: relative error ${err}`).toBeLessThanOrEqual(tol);
}

/** DESIGN.md's norm-series tolerance: each value within `tol` of itself (the series span many decades). */
export function expectSeriesClose(actual: readonly number[] | undefined, expected: readonly number[], tol: number, what: string): void {
  expect(actual, what).toBeDefined();
  expect(actual!.length, `${what}: length`).toBe(expected.length);
  expected.forEach((e, i) => {
    const err = Math.abs(actual![i]! - e) / Math.abs(e);
    expect(err, `${what}[${i}]: ${actual![i]} vs ${e}`).toBeLessThanOrEqual(tol);
  });
}
