// Test helpers: the PyTorch float64 golden cases written by scripts/make-torch-fixtures.py.
import { readFileSync } from 'node:fs';
import { parseSpec, relativeError, tensor, type Batch, type LossName, type NetworkSpec, type ParamSet, type Tensor } from '@gradscope/core';
import { expect } from 'vitest';

interface RawTensor {
  shape: number[];
  data: number[];
}

export interface TorchExpected {
  output: number[];
  loss: number;
  grads: Record<string, number[]>;
  blockOutputGradNorms?: number[];
  deadUnitFractions?: number[];
  hiddenGradNorms?: number[][];
  cellGradNorms?: number[][];
  inputGradNorms?: number[];
}

export interface TorchCase {
  name: string;
  spec: NetworkSpec;
  loss: LossName;
  params: ParamSet;
  batch: Batch;
  expected: TorchExpected;
}

const raw = JSON.parse(readFileSync(new URL('./torch-cases.json', import.meta.url), 'utf8')) as {
  cases: { name: string; spec: unknown; loss: LossName; params: Record<string, RawTensor>; input: RawTensor; target: RawTensor; expected: TorchExpected }[];
};

const toTensor = (t: RawTensor): Tensor => tensor(t.shape, t.data);

export function torchCases(kind: NetworkSpec['kind']): TorchCase[] {
  return raw.cases
    .map((c) => ({
      name: c.name,
      spec: parseSpec(c.spec),
      loss: c.loss,
      params: Object.fromEntries(Object.entries(c.params).map(([n, t]) => [n, toTensor(t)])),
      batch: { input: toTensor(c.input), target: toTensor(c.target) },
      expected: c.expected,
    }))
    .filter((c) => c.spec.kind === kind);
}

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
