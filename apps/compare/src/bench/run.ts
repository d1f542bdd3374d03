import os from 'node:os';
import { initParams, parseSpec, parseTrainingConfig, train, type Backend, type Batch, type Model, type Task } from '@gradscope/core';
import { brainBaseline, onnxBaseline, tfjsBaseline, type Baseline } from './baselines.js';
import { measureInterleaved, type Budget, type Outcome, type Task as MeasuredTask, type Timing } from './measure.js';
import { runTorchBaseline, type TorchOutcome } from './torch.js';
import { denseStepFlops, workloads as allWorkloads, type Workload } from './workloads.js';

export interface BenchBackend {
  readonly name: string;
  /** Creates the backend with this thread count (reported back as `runtime.threads` where the runtime takes one). */
  readonly create: (threads: number) => Promise<Backend>;
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
  readonly error?: string;
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
    };
  } catch (e) {
    return { backend: name, workload: w.id, baselineKind: 'none', baselineNote: '', error: e instanceof Error ? e.message : String(e) };
  } finally {
    if (baseline && baseline.kind !== 'none') baseline.dispose();
    await model?.dispose();
  }
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
    const backend = await entry.create(threads);
    runtimes[entry.name] = `${backend.runtime.name} ${backend.runtime.version} (${backend.runtime.device})`;
    runtimeThreads[entry.name] = backend.runtime.threads;
    for (const w of mine) {
      log(`${entry.name} ${w.id}`);
      rows.push(await measureRow(entry.name, backend, w, threads, budget));
    }
    await backend.dispose();
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
