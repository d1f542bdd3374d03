import { readFileSync } from 'node:fs';
import { parseSpec, tensor, type LossName, type NetworkSpec, type ParamSet, type Tensor } from '@gradscope/core';

interface TensorJson {
  shape: number[];
  data: number[];
}

/** A PyTorch float64 golden written by scripts/make-torch-fixtures.py. */
export interface TorchFixture {
  spec: NetworkSpec;
  loss: LossName;
  params: ParamSet;
  input: Tensor;
  target: Tensor;
  output: number[];
  lossValue: number;
  grads: Record<string, number[]>;
  blockOutputGradNorms?: number[];
  hiddenGradNorms?: number[][];
  cellGradNorms?: number[][];
  inputGradNorms?: number[];
}

export function loadTorchFixture(name: string): TorchFixture {
  const raw = JSON.parse(readFileSync(new URL(`./torch-${name}.json`, import.meta.url), 'utf8')) as Record<string, unknown> & {
    spec: unknown; loss: LossName; params: Record<string, TensorJson>; input: TensorJson; target: TensorJson;
    output: TensorJson; lossValue: number; grads: Record<string, TensorJson>;
  };
  const toTensor = (t: TensorJson): Tensor => tensor(t.shape, t.data);
  return {
    ...(raw as object),
    spec: parseSpec(raw.spec),
    loss: raw.loss,
    params: Object.fromEntries(Object.entries(raw.params).map(([n, t]) => [n, toTensor(t)])),
    input: toTensor(raw.input),
    target: toTensor(raw.target),
    output: raw.output.data,
    lossValue: raw.lossValue,
    grads: Object.fromEntries(Object.entries(raw.grads).map(([n, t]) => [n, t.data])),
  } as TorchFixture;
}
