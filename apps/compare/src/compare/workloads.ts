import { describeSpec, initParams, parseSpec, parseTrainingConfig, type CellType, type NetworkSpec, type ParamSet, type TrainingConfig, type Activation } from '@gradscope/core';
import type { SuiteSettings } from './suites.js';
import { addingData, spiralsData, type WorkloadData } from './tasks.js';

/** One network with its data, run identically on every backend. */
export interface Workload {
  experiment: 'depth' | 'time';
  /** e.g. `residual sigmoid depth 16 width 32` or `lstm T=30`. */
  label: string;
  spec: NetworkSpec;
  params: ParamSet;
  data: WorkloadData;
  training: TrainingConfig;
  /** Gradients of the probe batch are recorded at init and after every `snapshotEvery` steps (depth only). */
  snapshotEvery?: number;
  depth?: { architecture: 'plain' | 'residual'; activation: Activation; depth: number };
  time?: { cell: CellType; T: number };
}


/** The depth experiment: plain and residual nets over depths and activations on two spirals, with bit-identical initial weights. */
export function depthWorkloads(suite: SuiteSettings, seed: number): Workload[] {
  const s = suite.depth;
  const data = spiralsData(s.batch, s.steps, seed);
  const training = parseTrainingConfig({ loss: data.task.loss, optimizer: s.optimizer });
  const out: Workload[] = [];
  for (const activation of s.activations) {
    for (const depth of s.depths) {
      for (const architecture of ['plain', 'residual'] as const) {
        const spec = parseSpec({
          kind: 'residual',
          inputSize: data.task.inputSize,
          outputSize: data.task.outputSize,
          width: s.width,
          depth,
          block: { layers: 1, activation, skip: architecture === 'residual' ? 'identity' : 'none' },
        });
        out.push({
          experiment: 'depth',
          label: describeSpec(spec),
          spec,
          params: initParams(spec, { seed }),
          data,
          training,
          snapshotEvery: s.reportEvery,
          depth: { architecture, activation, depth },
        });
      }
    }
  }
  return out;
}

/** The time experiment: tanh RNN, GRU and LSTM on the adding problem for each sequence length T. */
export function timeWorkloads(suite: SuiteSettings, seed: number): Workload[] {
  const s = suite.time;
  const out: Workload[] = [];
  for (const T of s.lengths) {
    const data = addingData(T, s.batch, s.steps, s.testSize, seed);
    const training = parseTrainingConfig({ loss: data.task.loss, optimizer: s.optimizer, clip: s.clip });
    for (const cell of s.cells) {
      const spec = parseSpec({ kind: 'recurrent', cell, inputSize: data.task.inputSize, hiddenSize: s.hiddenSize, numLayers: s.numLayers, outputSize: data.task.outputSize });
      out.push({ experiment: 'time', label: `${cell} T=${T}`, spec, params: initParams(spec, { seed }), data, training, time: { cell, T } });
    }
  }
  return out;
}
