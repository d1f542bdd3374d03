import os from 'node:os';
import { initParams, parseSpec, type Backend, type Batch, type Model } from '@gradscope/core';
import { brainBaseline, tfjsBaseline, type Baseline } from './baselines.js';
import { medianMs, type Budget, type Timing } from './measure.js';
import { runTorchBaseline, type TorchOutcome } from './torch.js';
import { denseStepFlops, workloads as allWorkloads, type Workload } from './workloads.js';

export interface BenchBackend {
  readonly name: string;
  readonly create: () => Promise<Backend>;
}

export interface BenchOptions {
  readonly backends: readonly BenchBackend[];
  readonly workloads?: readonly Workload[];
  readonly budget?: Budget;
  /** Skip the PyTorch column (otherwise it runs when Debian's python3-torch is present). */
  readonly torch?: boolean;
  readonly onProgress?: (line: string) => void;
}

export interface BackendRow {
  readonly backend: string;
  readonly workload: string;
  readonly monitorOffMs?: number;
  readonly monitorOnMs?: number;
  /** monitor on / monitor off; target <= 1.05. */
  readonly monitorOverhead?: number;
  readonly baselineMs?: number;
  readonly baselineKind: Baseline['kind'];
  readonly baselineNote: string;
  /** adapter (monitor off) / hand-written baseline; target <= 1.10 where the baseline is the same model. */
  readonly baselineRatio?: number;
  /** adapter (monitor off) / PyTorch eager CPU. */
  readonly torchRatio?: number;
  readonly gflops?: number;
  readonly samples?: number;
  readonly error?: string;
}

export interface BenchResults {
  readonly date: string;
  readonly machine: { readonly cpu: string; readonly cores: number; readonly node: string; readonly platform: string };
  readonly threads: number;
  readonly budget: Budget;
  readonly runtimes: Record<string, string>;
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

async function baselineFor(backend: string, w: Workload, model: Model, batch: Batch): Promise<Baseline> {
  if (backend === 'tfjs') return tfjsBaseline(w);
  if (backend === 'brain') return brainBaseline(w);
  if (backend === 'onnx') {
    return { kind: 'floor', note: 'forward-only session of the same graph (a floor, not a trainer)', step: () => model.forward(batch.input), dispose: () => undefined };
  }
  return { kind: 'none', note: `no hand-written ${backend} baseline` };
}

/**
 * The hand-written baseline's median, or why there is none. A baseline that fails (brain.js's own RNNTimeStep can
 * diverge to NaN and then throws) is reported as such; the adapter's own numbers stay in the row.
 */
async function measureBaseline(backend: string, w: Workload, model: Model, batch: Batch, budget: Budget): Promise<{ baseline: Baseline; base?: Timing }> {
  let baseline: Baseline | undefined;
  try {
    baseline = await baselineFor(backend, w, model, batch);
    if (baseline.kind === 'none') return { baseline };
    return { baseline, base: await medianMs(baseline.step, budget) };
  } catch (e) {
    const why = (e instanceof Error ? e.message : String(e)).split('\n')[0]!.trim();
    return { baseline: { kind: 'none', note: `${baseline?.note ?? 'hand-written baseline'} — failed here: ${why}` } };
  } finally {
    if (baseline && baseline.kind !== 'none') baseline.dispose();
  }
}

/** Measures every backend on every workload in this process, one thread each, and PyTorch alongside. */
export async function runBench(options: BenchOptions): Promise<BenchResults> {
  const budget = options.budget ?? defaultBudget;
  const workloads = options.workloads ?? allWorkloads;
  const log = options.onProgress ?? (() => undefined);
  const rows: BackendRow[] = [];
  const runtimes: Record<string, string> = {};
  for (const entry of options.backends) {
    const backend = await entry.create();
    runtimes[entry.name] = `${backend.runtime.name} ${backend.runtime.version} (${backend.runtime.device})`;
    for (const w of workloads) {
      log(`${entry.name} ${w.id}`);
      const spec = parseSpec(w.spec);
      const batch = batchFor(w);
      let model: Model | undefined;
      try {
        model = await backend.createModel(spec, initParams(spec, { seed: 0 }));
        model.configureTraining({ loss: 'mse', optimizer: { type: 'sgd', lr: 1e-3, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 }, schedule: { type: 'constant' } });
        const m = model;
        const off = await medianMs(() => m.trainStep(batch), budget);
        const on = await medianMs(() => m.trainStep(batch, { report: true }), budget);
        const { baseline, base } = await measureBaseline(entry.name, w, m, batch, budget);
        const flops = denseStepFlops(w);
        rows.push({
          backend: entry.name,
          workload: w.id,
          monitorOffMs: off.medianMs,
          monitorOnMs: on.medianMs,
          monitorOverhead: on.medianMs / off.medianMs,
          baselineMs: base?.medianMs,
          baselineKind: baseline.kind,
          baselineNote: baseline.note,
          baselineRatio: base ? off.medianMs / base.medianMs : undefined,
          gflops: flops === undefined ? undefined : flops / (off.medianMs / 1e3) / 1e9,
          samples: off.samples,
        });
      } catch (e) {
        rows.push({ backend: entry.name, workload: w.id, baselineKind: 'none', baselineNote: '', error: e instanceof Error ? e.message : String(e) });
      } finally {
        await model?.dispose();
      }
    }
    await backend.dispose();
  }
  log('pytorch');
  const torch: TorchOutcome = options.torch === false ? { available: false, reason: 'disabled with --no-torch' } : runTorchBaseline(workloads, 1, budget.timeMs / 1e3, budget.minIterations);
  const withTorch = rows.map((r) => {
    const t = torch.available ? torch.baseline.medians[r.workload] : undefined;
    return t && r.monitorOffMs ? { ...r, torchRatio: r.monitorOffMs / t } : r;
  });
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    machine: { cpu: cpus[0]?.model ?? 'unknown', cores: cpus.length, node: process.version, platform: `${os.platform()} ${os.arch()}` },
    threads: 1,
    budget,
    runtimes,
    torch,
    workloads: workloads.map((w) => ({ id: w.id, label: w.label, group: w.group, flops: denseStepFlops(w) })),
    rows: withTorch,
  };
}
