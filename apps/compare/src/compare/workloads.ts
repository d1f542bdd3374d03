import { describeSpec, initParams, parseModelSpec, parseSpec, parseTrainingConfig, type CellType, type ModelSpec, type ParamSet, type TrainingConfig, type Activation } from '@gradscope/core';
import type { SuiteSettings } from './suites.js';
import { addingData, mnistData, spiralsData, type WorkloadData } from './tasks.js';

export const experiments = ['depth', 'time', 'mnist'] as const;
export type Experiment = (typeof experiments)[number];

/** One network with its data, run identically on every backend. */
export interface Workload {
  experiment: Experiment;
  /** e.g. `residual sigmoid depth 16 width 32` or `lstm T=30`. */
  label: string;
  spec: ModelSpec;
  params: ParamSet;
  data: WorkloadData;
  training: TrainingConfig;
  /** Gradients of the probe batch are recorded at init and after every `snapshotEvery` steps (depth only). */
  snapshotEvery?: number;
  depth?: { architecture: 'plain' | 'residual'; activation: Activation; depth: number };
  time?: { cell: CellType; T: number };
  mnist?: { architecture: 'plain' | 'residual'; depth: number };
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

/** Depth 6n+2 of the CIFAR layout -> n BasicBlocks per stage. */
export function blocksPerStage(depth: number): number {
  const n = (depth - 2) / 6;
  if (!Number.isInteger(n) || n < 1) throw new Error(`depth ${depth} is not 6n+2 for a whole n >= 1 (8, 14, 20, 32, ...)`);
  return n;
}

/**
 * Depth on real digits: plain-d vs ResNet-d in the CIFAR layout (3×3 stem, stages of 16/32/64 channels, option-A
 * zero-padding shortcuts, BatchNorm), one input channel, 10 classes. Plain and residual nets of one depth have the
 * same parameters and start from the same weights; they differ only in the shortcut.
 */
export function mnistWorkloads(suite: SuiteSettings, seed: number): Workload[] {
  const s = suite.mnist;
  const data = mnistData(s.imageSize, s.batch, s.steps, s.testSize, seed);
  const training = parseTrainingConfig({ loss: data.task.loss, optimizer: s.optimizer });
  const out: Workload[] = [];
  for (const depth of s.depths) {
    const n = blocksPerStage(depth);
    for (const architecture of ['plain', 'residual'] as const) {
      const spec = parseModelSpec({
        kind: 'residual',
        variant: 'conv',
        inputChannels: 1,
        inputSize: s.imageSize,
        outputSize: 10,
        stem: 'cifar',
        shortcut: 'zeropad',
        norm: 'batch',
        skip: architecture === 'residual' ? 'identity' : 'none',
        stages: [16, 32, 64].map((channels, i) => ({ blocks: n, channels, stride: i === 0 ? 1 : 2 })),
      });
      const label = `${architecture === 'residual' ? 'ResNet' : 'plain'}-${depth} mnist ${s.imageSize}×${s.imageSize}`;
      out.push({ experiment: 'mnist', label, spec, params: initParams(spec, { seed }), data, training, snapshotEvery: s.reportEvery, mnist: { architecture, depth } });
    }
  }
  return out;
}
