import {
  describeForgetGateInit,
  describeSpec,
  initParams,
  parseModelSpec,
  parseSpec,
  parseTrainingConfig,
  type Activation,
  type CellType,
  type ClipSpec,
  type ForgetGateInit,
  type InitScheme,
  type ModelSpec,
  type ParamSet,
  type TrainingConfig,
} from '@gradscope/core';
import type { MnistDigits } from './mnist-task.js';
import type { SuiteSettings, TimeVariant } from './suites.js';
import { addingData, mnistData, spiralsData, type WorkloadData } from './tasks.js';

export const experiments = ['depth', 'time', 'mnist', 'cures'] as const;
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
  /** Gradients of the probe batch (and the test score) are recorded at init and after every `snapshotEvery` steps. */
  snapshotEvery?: number;
  /** Training stops at the first step whose loss or gradient norm is not finite (and says at which step). */
  stopOnNonFinite?: boolean;
  depth?: { architecture: 'plain' | 'residual'; activation: Activation; depth: number };
  /** `forgetGate`: `pytorch`, `bias:1` or `chrono:<tMax>` (LSTM); `seed` of weights and data. */
  time?: { cell: CellType; T: number; forgetGate: string; seed: number };
  mnist?: { architecture: 'plain' | 'residual'; depth: number };
  cures?: { part: 'init'; scheme: InitScheme; activation: Activation; depth: number } | { part: 'clipping'; clip: string };
}

/** `norm:1`, `value:0.1` or `none`: the CLI's spelling of a clip setting. */
export function describeClip(clip: ClipSpec | undefined): string {
  if (!clip) return 'none';
  return clip.type === 'norm' ? `norm:${clip.maxNorm}` : `value:${clip.clipValue}`;
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
          params: initParams(spec, { seed, ...(s.init && { scheme: s.init }) }),
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

function forgetGateOf(v: TimeVariant, T: number): ForgetGateInit | undefined {
  const g = v.forgetGate;
  if (!g) return undefined;
  return g.type === 'chrono' ? { type: 'chrono', tMax: g.tMax === 'T' ? T : g.tMax } : g;
}

/** The table's name of a time variant: `lstm`, `lstm bias:1`, `lstm chrono:50`. */
export function timeLabel(cell: CellType, forgetGate: string): string {
  return forgetGate === 'pytorch' ? cell : `${cell} ${forgetGate}`;
}

/** The time experiment: tanh RNN, GRU and LSTM (with its forget-gate inits) on the adding problem for each T and seed. */
export function timeWorkloads(suite: SuiteSettings, seed: number): Workload[] {
  const s = suite.time;
  const out: Workload[] = [];
  for (const T of s.lengths) {
    for (let k = 0; k < s.seeds; k++) {
      const runSeed = seed + k;
      const data = addingData(T, s.batch, s.steps, s.testSize, runSeed);
      const training = parseTrainingConfig({ loss: data.task.loss, optimizer: s.optimizer, clip: s.clip });
      for (const variant of s.variants) {
        const { cell } = variant;
        const spec = parseSpec({ kind: 'recurrent', cell, inputSize: data.task.inputSize, hiddenSize: s.hiddenSize, numLayers: s.numLayers, outputSize: data.task.outputSize });
        const gate = forgetGateOf(variant, T);
        const forgetGate = describeForgetGateInit(gate);
        const seedLabel = s.seeds > 1 ? ` seed ${runSeed}` : '';
        out.push({
          experiment: 'time',
          label: `${timeLabel(cell, forgetGate)} T=${T}${seedLabel}`,
          spec,
          params: initParams(spec, { seed: runSeed, ...(gate && { forgetGate: gate }) }),
          data,
          training,
          snapshotEvery: s.reportEvery,
          time: { cell, T, forgetGate, seed: runSeed },
        });
      }
    }
  }
  return out;
}

/**
 * The other cures. Initialization × activation: a deep plain dense net on two spirals for every scheme and activation,
 * the same data for all. Clipping: a tanh RNN whose recurrent weights are scaled up, trained with plain SGD without
 * clipping (the gradient explodes until the loss is no longer finite), with norm clipping and with value clipping.
 */
export function curesWorkloads(suite: SuiteSettings, seed: number): Workload[] {
  const { init, clipping } = suite.cures;
  const out: Workload[] = [];
  const spirals = spiralsData(init.batch, init.steps, seed);
  const initTraining = parseTrainingConfig({ loss: spirals.task.loss, optimizer: init.optimizer });
  for (const activation of init.activations) {
    const spec = parseSpec({
      kind: 'residual',
      inputSize: spirals.task.inputSize,
      outputSize: spirals.task.outputSize,
      width: init.width,
      depth: init.depth,
      block: { layers: 1, activation, skip: 'none' },
    });
    for (const scheme of init.schemes) {
      out.push({
        experiment: 'cures',
        label: `init ${scheme} ${activation} plain depth ${init.depth}`,
        spec,
        params: initParams(spec, { seed, scheme }),
        data: spirals,
        training: initTraining,
        stopOnNonFinite: true,
        cures: { part: 'init', scheme, activation, depth: init.depth },
      });
    }
  }
  const adding = addingData(clipping.T, clipping.batch, clipping.steps, 0, seed);
  const rnn = parseSpec({ kind: 'recurrent', cell: 'rnn', inputSize: adding.task.inputSize, hiddenSize: clipping.hiddenSize, numLayers: 1, outputSize: adding.task.outputSize });
  const params = initParams(rnn, { seed, scheme: 'orthogonal' });
  const hh = params['rnn.weight_hh_l0']!;
  hh.data.set(hh.data.map((v) => v * clipping.recurrentScale));
  for (const clip of [undefined, ...clipping.clips]) {
    const name = describeClip(clip);
    out.push({
      experiment: 'cures',
      label: `clip ${name} rnn T=${clipping.T} (W_hh ×${clipping.recurrentScale})`,
      spec: rnn,
      params,
      data: adding,
      training: parseTrainingConfig({ loss: adding.task.loss, optimizer: clipping.optimizer, ...(clip && { clip }) }),
      stopOnNonFinite: true,
      cures: { part: 'clipping', clip: name },
    });
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
export function mnistWorkloads(suite: SuiteSettings, seed: number, digits: MnistDigits): Workload[] {
  const s = suite.mnist;
  const data = mnistData(s.imageSize, s.batch, s.steps, s.testSize, seed, digits);
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

/**
 * Every workload of the chosen experiments, in report order (depth, time, mnist, cures). `digits` is called only for
 * the MNIST experiment (the CLI passes the loader of the `mnist` package's files). `only` (a regular expression) keeps
 * the workloads whose label it matches, e.g. `T=200` or `^(gru|lstm chrono\S*) T=100`.
 */
export function buildWorkloads(suite: SuiteSettings, seed: number, wanted: readonly Experiment[], digits: () => MnistDigits, only?: string): Workload[] {
  const has = (e: Experiment): boolean => wanted.includes(e);
  const all = [
    ...(has('depth') ? depthWorkloads(suite, seed) : []),
    ...(has('time') ? timeWorkloads(suite, seed) : []),
    ...(has('mnist') ? mnistWorkloads(suite, seed, digits()) : []),
    ...(has('cures') ? curesWorkloads(suite, seed) : []),
  ];
  if (only === undefined) return all;
  const pattern = new RegExp(only);
  return all.filter((w) => pattern.test(w.label));
}
