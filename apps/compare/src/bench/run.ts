import os from 'node:os';
import { initParams, parseSpec, parseTrainingConfig, train, type Backend, type Batch, type Model, type NetworkSpec, type Task } from '@gradscope/core';
import { brainBaseline, onnxBaseline, tfjsBaseline, type Baseline } from './baselines.js';
import { measureInterleaved, type Budget, type Outcome, type Task as MeasuredTask, type Timing } from './measure.js';
import { runTorchBaseline, type TorchOutcome } from './torch.js';
import { denseStepFlops, workloads as allWorkloads, type Workload } from './workloads.js';

export interface BenchBackend {
  readonly name: string;
  /** Creates the backend with this thread count (reported back as `runtime.threads` where the runtime takes one). */
  readonly create: (threads: number) => Promise<Backend>;
  /**
   * Measures these workloads somewhere of its own (the CLI: a fresh worker thread per backend), so no runtime's heap
   * or wasm instance left by another slows it: measured here, onnx's 16×256 step took 21 ms alone and 30 ms after tfjs.
   */
  readonly isolated?: (workloadIds: readonly string[], budget: Budget) => Promise<MeasuredBackend>;
}

export interface BenchOptions {
  readonly backends: readonly BenchBackend[];
  readonly workloads?: readonly Workload[];
  /** Only rows whose `backend/workload` id contains this (e.g. `onnx/lstm`, `16x64`). */
  readonly filter?: string;
  readonly budget?: Budget;
  /** Skip the PyTorch column (otherwise it runs when Debian's python3-torch is present). */
  readonly torch?: boolean;
  readonly onProgress?: (line: string) => void;
}

/** A median with the interquartile range around it. */
export interface Spread {
  readonly medianMs: number;
  readonly p25Ms: number;
  readonly p75Ms: number;
}

export interface BackendRow {
  readonly backend: string;
  readonly workload: string;
  readonly monitorOffMs?: number;
  readonly monitorOnMs?: number;
  /** monitor on / monitor off (medians, measured interleaved); target <= 1.05. */
  readonly monitorOverhead?: number;
  /** Per step of core's `train()` loop (unmonitored), the loop's own work included. */
  readonly trainLoopMs?: number;
  /** train() per step / trainStep (monitor off); target <= 1.05. */
  readonly trainLoopRatio?: number;
  readonly baselineMs?: number;
  readonly baselineKind: Baseline['kind'];
  readonly baselineNote: string;
  /** adapter (monitor off) / hand-written baseline; target <= 1.10 where the baseline is the same model. */
  readonly baselineRatio?: number;
  /** adapter (monitor off) / PyTorch eager CPU. */
  readonly torchRatio?: number;
  /** Interquartile ranges of every measured median above. */
  readonly spread?: { readonly monitorOff: Spread; readonly monitorOn: Spread; readonly trainLoop: Spread; readonly baseline?: Spread };
  readonly gflops?: number;
  readonly samples?: number;
  /** Kernels one unmonitored training step launches, and the most frequent ops (where the backend can tell). */
  readonly kernels?: KernelCount;
  readonly error?: string;
}

export interface KernelCount {
  readonly perStep: number;
  /** Op types by count, most frequent first (at most 4). */
  readonly top: readonly (readonly [string, number])[];
  /** What was counted: `graph` (nodes of the generated ONNX graph) or `profile` (tfjs' kernel profiler). */
  readonly source: 'graph' | 'profile';
}

export interface BenchResults {
  readonly date: string;
  readonly machine: { readonly cpu: string; readonly cores: number; readonly node: string; readonly platform: string };
  /** The thread count every runtime was asked for. */
  readonly threads: number;
  readonly budget: Budget;
  readonly runtimes: Record<string, string>;
  /** Threads each backend's runtime reports running with (absent: the runtime has no such setting, one JS thread). */
  readonly runtimeThreads: Record<string, number | undefined>;
  readonly torch: TorchOutcome;
  readonly workloads: readonly { id: string; label: string; group: string; flops?: number }[];
  readonly rows: readonly BackendRow[];
}

const defaultBudget: Budget = { timeMs: 1000, minIterations: 10, warmupIterations: 3 };

function fill(n: number, phase: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = 0.5 + 0.5 * Math.sin(i * 0.37 + phase);
  return a;
}

function batchFor(w: Workload): Batch {
  const spec = parseSpec(w.spec);
  const inShape = spec.kind === 'residual' ? [w.batch, spec.inputSize] : [w.batch, w.steps ?? 1, spec.inputSize];
  const n = inShape.reduce((a, b) => a * b, 1);
  return {
    input: { shape: inShape, data: fill(n, 0) },
    target: { shape: [w.batch, spec.outputSize], data: fill(w.batch * spec.outputSize, 1) },
  };
}

/** Steps of one `train()` call in the loop measurement: enough that setting up the run is a small share. */
export const TRAIN_LOOP_STEPS = 5;

/** A task that feeds the bench's one fixed batch to every step, so `train()` does exactly the steps' work. */
function fixedTask(w: Workload, batch: Batch): Task {
  const spec = parseSpec(w.spec);
  return {
    name: `bench:${w.id}`,
    inputSize: spec.inputSize,
    outputSize: spec.outputSize,
    loss: 'mse',
    ...(spec.kind === 'recurrent' ? { sequenceLength: w.steps ?? 1 } : {}),
    trainBatch: () => batch,
    testSet: () => batch,
  };
}

async function baselineFor(backend: string, w: Workload, threads: number): Promise<Baseline> {
  if (backend === 'tfjs') return tfjsBaseline(w);
  if (backend === 'brain') return brainBaseline(w);
  if (backend === 'onnx') return onnxBaseline(w, threads);
  if (backend === 'onnx-node') return onnxBaseline(w, threads, 'node');
  return { kind: 'none', note: `no hand-written ${backend} baseline` };
}

const spreadOf = (t: Timing): Spread => ({ medianMs: t.medianMs, p25Ms: t.p25Ms, p75Ms: t.p75Ms });

function kernelCount(counts: Readonly<Record<string, number>>, source: KernelCount['source']): KernelCount {
  const sorted = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  return { perStep: sorted.reduce((n, [, c]) => n + c, 0), top: sorted.slice(0, 4), source };
}

/** onnx: the nodes of the training graph a step runs; tfjs: the kernels its profiler sees in one step; brain: none. */
async function countKernels(name: string, model: Model, spec: NetworkSpec, w: Workload, batch: Batch): Promise<KernelCount | undefined> {
  if (name.startsWith('onnx') && (spec.kind === 'residual' || spec.kind === 'recurrent')) {
    const { trainingGraph } = await import('@gradscope/onnx');
    return kernelCount(trainingGraph(spec, { batch: w.batch, steps: w.steps ?? 1, loss: 'mse' }).opCounts, 'graph');
  }
  if (name === 'tfjs') {
    const tf = await import('@tensorflow/tfjs');
    const info = await tf.profile(async () => void (await model.trainStep(batch)));
    const counts: Record<string, number> = {};
    for (const k of info.kernels) counts[k.name] = (counts[k.name] ?? 0) + 1;
    return kernelCount(counts, 'profile');
  }
  return undefined;
}

/**
 * One row: monitor off, monitor on, the `train()` loop and the hand-written baseline, measured interleaved. A
 * baseline that fails to build or to run (brain.js's own RNNTimeStep can diverge to NaN and then throws) is
 * reported as such; the adapter's own numbers stay in the row.
 */
async function measureRow(name: string, backend: Backend, w: Workload, threads: number, budget: Budget): Promise<BackendRow> {
  const spec = parseSpec(w.spec);
  const batch = batchFor(w);
  const config = parseTrainingConfig({ loss: 'mse', optimizer: { type: 'sgd', lr: 1e-3 }, schedule: { type: 'constant' } });
  let model: Model | undefined;
  let baseline: Baseline | undefined;
  try {
    model = await backend.createModel(spec, initParams(spec, { seed: 0 }));
    const m = model;
    m.configureTraining(config);
    const task = fixedTask(w, batch);
    let baselineNote: string | undefined;
    try {
      baseline = await baselineFor(name, w, threads);
    } catch (e) {
      baselineNote = `hand-written baseline — failed here: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]!.trim()}`;
    }
    const tasks: Record<string, MeasuredTask> = {
      off: { run: () => m.trainStep(batch) },
      on: { run: () => m.trainStep(batch, { report: true }) },
      // train() configures training afresh (plain SGD keeps no state), so the other tasks are unaffected.
      loop: { run: () => train({ model: m, task, steps: TRAIN_LOOP_STEPS, batchSize: w.batch, config }), stepsPerRun: TRAIN_LOOP_STEPS },
      ...(baseline && baseline.kind !== 'none' ? { baseline: { run: baseline.step } } : {}),
    };
    const r: Record<string, Outcome> = await measureInterleaved(tasks, budget);
    const timing = (k: string): Timing => {
      const o = r[k]!;
      if (!o.ok) throw new Error(`${k}: ${o.error}`);
      return o.timing;
    };
    const off = timing('off');
    const on = timing('on');
    const loop = timing('loop');
    const b = r.baseline;
    const base = b?.ok ? b.timing : undefined;
    if (b && !b.ok) baselineNote = `${baseline!.note} — failed here: ${b.error}`;
    const flops = denseStepFlops(w);
    const kernels = await countKernels(name, m, spec, w, batch);
    return {
      backend: name,
      workload: w.id,
      monitorOffMs: off.medianMs,
      monitorOnMs: on.medianMs,
      monitorOverhead: on.medianMs / off.medianMs,
      trainLoopMs: loop.medianMs,
      trainLoopRatio: loop.medianMs / off.medianMs,
      baselineMs: base?.medianMs,
      baselineKind: base ? baseline!.kind : 'none',
      baselineNote: baselineNote ?? baseline!.note,
      baselineRatio: base ? off.medianMs / base.medianMs : undefined,
      spread: { monitorOff: spreadOf(off), monitorOn: spreadOf(on), trainLoop: spreadOf(loop), ...(base ? { baseline: spreadOf(base) } : {}) },
      gflops: flops === undefined ? undefined : flops / (off.medianMs / 1e3) / 1e9,
      samples: off.samples,
      ...(kernels ? { kernels } : {}),
    };
  } catch (e) {
    return { backend: name, workload: w.id, baselineKind: 'none', baselineNote: '', error: e instanceof Error ? e.message : String(e) };
  } finally {
    if (baseline && baseline.kind !== 'none') baseline.dispose();
    await model?.dispose();
  }
}

/** What one backend's rows came with. */
export interface MeasuredBackend {
  readonly rows: readonly BackendRow[];
  /** `name version (device)` of its runtime. */
  readonly runtime: string;
  readonly threads: number | undefined;
}

/** Every row of one backend, in this thread, one after the other. */
export async function measureBackend(entry: BenchBackend, workloads: readonly Workload[], budget: Budget, log: (line: string) => void): Promise<MeasuredBackend> {
  const threads = 1;
  const backend = await entry.create(threads);
  const rows: BackendRow[] = [];
  try {
    for (const w of workloads) {
      log(`${entry.name} ${w.id}`);
      rows.push(await measureRow(entry.name, backend, w, threads, budget));
    }
  } finally {
    await backend.dispose();
  }
  return { rows, runtime: `${backend.runtime.name} ${backend.runtime.version} (${backend.runtime.device})`, threads: backend.runtime.threads };
}

/** Measures every backend on every workload (or the rows `filter` matches) in this process, and PyTorch alongside. */
export async function runBench(options: BenchOptions): Promise<BenchResults> {
  const budget = options.budget ?? defaultBudget;
  const threads = 1;
  const log = options.onProgress ?? (() => undefined);
  const matches = (backend: string, w: Workload): boolean => options.filter === undefined || `${backend}/${w.id}`.includes(options.filter);
  const workloads = (options.workloads ?? allWorkloads).filter((w) => options.backends.some((b) => matches(b.name, w)));
  const rows: BackendRow[] = [];
  const runtimes: Record<string, string> = {};
  const runtimeThreads: Record<string, number | undefined> = {};
  for (const entry of options.backends) {
    const mine = workloads.filter((w) => matches(entry.name, w));
    if (mine.length === 0) continue;
    const measured = entry.isolated ? await entry.isolated(mine.map((w) => w.id), budget) : await measureBackend(entry, mine, budget, log);
    runtimes[entry.name] = measured.runtime;
    runtimeThreads[entry.name] = measured.threads;
    rows.push(...measured.rows);
  }
  log('pytorch');
  const torch: TorchOutcome = options.torch === false ? { available: false, reason: 'disabled with --no-torch' } : runTorchBaseline(workloads, threads, budget.timeMs / 1e3, budget.minIterations);
  const withTorch = rows.map((r) => {
    const t = torch.available ? torch.baseline.medians[r.workload] : undefined;
    return t && r.monitorOffMs ? { ...r, torchRatio: r.monitorOffMs / t } : r;
  });
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    machine: { cpu: cpus[0]?.model ?? 'unknown', cores: cpus.length, node: process.version, platform: `${os.platform()} ${os.arch()}` },
    threads,
    budget,
    runtimes,
    runtimeThreads,
    torch,
    workloads: workloads.map((w) => ({ id: w.id, label: w.label, group: w.group, flops: denseStepFlops(w) })),
    rows: withTorch,
  };
}
