import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  WeightsFormatError,
  parseSpec,
  parseTrainingConfig,
  sizeOf,
  validateParams,
  type LossName,
  type NetworkSpec,
  type ParamSet,
  type Tensor,
} from '@gradscope/core';
import { fixturesDir } from './fixtures-dir.js';
import type { Float64Tensor, GoldenCase, GoldenExpectation, GoldenFile, GoldenStep, GoldenTrajectory } from './types.js';

export interface RawTensor {
  shape: number[];
  data: number[];
}

interface RawLossResult {
  loss: LossName;
  target: RawTensor;
  value: number;
  grads: Record<string, RawTensor>;
  blockOutputGradNorms?: number[];
  hiddenGradNorms?: number[][];
  cellGradNorms?: number[][];
  inputGradNorms?: number[];
}

interface RawCase {
  id: string;
  seed: number | null;
  spec: unknown;
  params: Record<string, RawTensor>;
  input: RawTensor;
  output: RawTensor;
  losses: RawLossResult[];
}

interface RawTrajectory {
  id: string;
  spec: unknown;
  config: unknown;
  params: Record<string, RawTensor>;
  input: RawTensor;
  target: RawTensor;
  steps: { step: number; lr: number; loss: number; gradNorm: number; clipCoef: number; grads: Record<string, RawTensor>; params: Record<string, RawTensor> }[];
}

export function readFixture<T>(name: string): T {
  const path = join(fixturesDir, name);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (error) {
    throw new WeightsFormatError(`cannot read golden fixture ${path}: ${(error as Error).message}`);
  }
}

export function float64Tensor(raw: RawTensor, where: string): Float64Tensor {
  if (!Array.isArray(raw?.shape) || !Array.isArray(raw.data) || raw.data.length !== sizeOf(raw.shape)) {
    throw new WeightsFormatError(`golden fixture: ${where} is not a {shape, data} tensor with matching sizes`);
  }
  return { shape: raw.shape, data: Float64Array.from(raw.data) };
}

/** Weights, inputs and targets are float32 values by construction; a value that is not means a broken fixture. */
export function float32Tensor(raw: RawTensor, where: string): Tensor {
  const t = float64Tensor(raw, where);
  const data = Float32Array.from(t.data);
  const bad = t.data.findIndex((v, i) => v !== data[i]);
  if (bad >= 0) throw new WeightsFormatError(`golden fixture: ${where}[${bad}] = ${t.data[bad]} is not float32-representable`);
  return { shape: t.shape, data };
}

export function mapTensors<T>(raw: Record<string, RawTensor>, where: string, f: (t: RawTensor, where: string) => T): Record<string, T> {
  return Object.fromEntries(Object.entries(raw).map(([name, t]) => [name, f(t, `${where}.${name}`)]));
}

function paramSet(spec: NetworkSpec, raw: Record<string, RawTensor>, where: string): ParamSet {
  return validateParams(spec, mapTensors(raw, where, float32Tensor), where);
}

function expectation(raw: RawCase, result: RawLossResult, where: string): GoldenExpectation {
  const norms = {
    ...(result.blockOutputGradNorms && { blockOutputGradNorms: result.blockOutputGradNorms }),
    ...(result.hiddenGradNorms && { hiddenGradNorms: result.hiddenGradNorms }),
    ...(result.cellGradNorms && { cellGradNorms: result.cellGradNorms }),
    ...(result.inputGradNorms && { inputGradNorms: result.inputGradNorms }),
  };
  return {
    output: float64Tensor(raw.output, `${where}.output`),
    loss: result.value,
    grads: mapTensors(result.grads, `${where}.grads`, float64Tensor),
    ...norms,
  };
}

function casesOf(file: GoldenFile): GoldenCase[] {
  const doc = readFixture<{ cases: RawCase[] }>(`${file}.json`);
  return doc.cases.flatMap((raw) => {
    const where = `${file}.json "${raw.id}"`;
    const spec = parseSpec(raw.spec);
    const params = paramSet(spec, raw.params, `${where} params`);
    const input = float32Tensor(raw.input, `${where}.input`);
    return raw.losses.map((result) => ({
      id: `${raw.id} · ${result.loss}`,
      file,
      spec,
      seed: raw.seed,
      params,
      batch: { input, target: float32Tensor(result.target, `${where}.${result.loss}.target`) },
      loss: result.loss,
      expected: expectation(raw, result, `${where}.${result.loss}`),
    }));
  });
}

/** Residual and plain dense nets: depth 1, 4, 12 × relu/tanh/sigmoid × 1 and 2 layers per block × both losses. */
export function loadResidualGoldens(): GoldenCase[] {
  return casesOf('residual');
}

/** LSTM, GRU and tanh RNN with 1 and 2 layers at T = 1, 5, 20 × both losses. */
export function loadRecurrentGoldens(): GoldenCase[] {
  return casesOf('recurrent');
}

/** Keras' own LSTM correctness test (`lstm_test.py`) in PyTorch layout, with an identity readout. */
export function loadKerasLstmGoldens(): GoldenCase[] {
  return casesOf('keras-lstm');
}

/** Every golden case of the given fixture files (all of them by default), in file order. */
export function loadGoldenCases(files: readonly GoldenFile[] = ['residual', 'recurrent', 'keras-lstm']): GoldenCase[] {
  return files.flatMap(casesOf);
}

/** 3-step training trajectories: SGD with momentum and weight decay, Adam, AdamW, a step schedule, norm clipping. */
export function loadTrainingTrajectories(): GoldenTrajectory[] {
  const doc = readFixture<{ trajectories: RawTrajectory[] }>('training.json');
  return doc.trajectories.map((raw) => {
    const where = `training.json "${raw.id}"`;
    const spec = parseSpec(raw.spec);
    const steps: GoldenStep[] = raw.steps.map((s) => ({
      step: s.step,
      lr: s.lr,
      loss: s.loss,
      gradNorm: s.gradNorm,
      clipCoef: s.clipCoef,
      grads: mapTensors(s.grads, `${where} step ${s.step} grads`, float64Tensor),
      params: mapTensors(s.params, `${where} step ${s.step} params`, float64Tensor),
    }));
    return {
      id: raw.id,
      spec,
      config: parseTrainingConfig(raw.config),
      params: paramSet(spec, raw.params, `${where} params`),
      batch: { input: float32Tensor(raw.input, `${where}.input`), target: float32Tensor(raw.target, `${where}.target`) },
      steps,
    };
  });
}
