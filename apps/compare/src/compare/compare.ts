import { availableParallelism } from 'node:os';
import type { Backend } from '@gradscope/core';
import { availableBackendNames, backendRegistry, BackendUnavailableError, createBackend, findBackendEntry } from '../backends.js';
import { UsageError } from '../cli-errors.js';
import { VERSION } from '../version.js';
import { inProcessRunner, workerPoolRunner, type Job, type JobOutcome, type JobRunner } from './jobs.js';
import { machineInfo } from './machine.js';
import { loadMnistDigits } from './mnist.js';
import { emptyResults, record, REFERENCE, STOCK_LSTM, summarize } from './record.js';
import type { CompareResults, SkippedRun } from './results.js';
import { canRun, type WorkloadOutcome } from './run-workload.js';
import { suites, type SuiteName, type SuiteSettings } from './suites.js';
import { buildWorkloads, experiments, type Experiment, type Workload } from './workloads.js';

export interface ProgressEvent {
  /** Runs finished so far, out of `total`. */
  done: number;
  total: number;
  /** What is running, e.g. `lstm T=30 on onnx` (several, joined by ` | `, when workers run side by side). */
  task: string;
  /** Set when a run has just started: its number (1-based, out of `total`) and what it is. */
  started?: { index: number; task: string };
}

export interface CompareOptions {
  /** Backends to compare (registry names). Default: every adapter that loads here, or `reference` when none does. */
  backends?: readonly string[];
  suite?: SuiteName;
  /** Which experiments to run (default all, in the order depth, time, mnist, cures). */
  experiments?: readonly Experiment[];
  /** Seed of the initial weights and of the data; the same on every backend. */
  seed?: number;
  /** A regular expression: only the workloads whose label matches run (`buildWorkloads`' filter). */
  only?: string;
  onProgress?: (event: ProgressEvent) => void;
  /**
   * Worker threads that run backends side by side (default 1: everything in the calling thread). Each runtime is
   * single-threaded here, so 2 workers on 2 cores nearly halve the wall time. Ignored with `backendFactories`.
   */
  workers?: number;
  /**
   * Backends that are not in the CLI's registry (say, one you are developing), by name; they can then be listed in
   * `backends`. A name here takes precedence over the registry's.
   */
  backendFactories?: Readonly<Record<string, () => Promise<Backend>>>;
}

/**
 * What `compare` runs when `--backends` is not given: the first of the suite's preferred backends that loads, else every
 * adapter that loads here, without the reference and the opt-in ones.
 */
export async function defaultBackends(suite?: SuiteSettings): Promise<string[]> {
  const available = await availableBackendNames();
  const preferred = suite?.preferredBackends?.find((n) => available.includes(n));
  if (preferred) return [preferred];
  const optIn = new Set(backendRegistry.filter((b) => b.optIn).map((b) => b.name));
  const adapters = available.filter((n) => n !== REFERENCE && n !== STOCK_LSTM && !optIn.has(n));
  return adapters.length > 0 ? adapters : [REFERENCE];
}

/** `only` must be a regular expression (the CLI checks it before it touches the report folder). */
export function checkOnlyPattern(only: string): void {
  try {
    new RegExp(only);
  } catch (err) {
    throw new UsageError(`--only: not a regular expression: ${(err as Error).message}`);
  }
}

/** Worker threads the CLI uses by default: one per core, at most 2 (more would only share the same cores). */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(2, availableParallelism()));
}

/**
 * Rough cost of a job in milliseconds (from the quick suite's step times), so the longest start first and two workers
 * finish together.
 */
function estimatedCost(w: Workload, backend: string, train: boolean): number {
  const speed = backend.startsWith('onnx') ? 0.2 : backend === 'reference' ? 3 : 1;
  const steps = train ? w.data.train.length : 1;
  if (w.mnist) return (train ? steps * 5 * w.mnist.depth : 4 * 60 * w.mnist.depth) * speed;
  if (w.time) return steps * w.time.T * (w.time.cell === 'rnn' ? 0.15 : 0.6) * speed;
  const depth = w.depth?.depth ?? (w.cures?.part === 'init' ? w.cures.depth : 30);
  return steps * depth * 0.15 * speed;
}

/**
 * Runs the depth, time and MNIST-depth experiments on every chosen backend with identical specs, initial weights and data,
 * checks each backend's gradients against the float64 reference, and times the training steps.
 */
export async function compare(options: CompareOptions = {}): Promise<CompareResults> {
  const startedAt = new Date();
  const suiteName = options.suite ?? 'quick';
  const suite = suites[suiteName];
  if (!suite) throw new UsageError(`unknown suite "${String(options.suite)}" (expected one of ${Object.keys(suites).join('|')})`);
  const seed = options.seed ?? 0;
  if (options.only !== undefined) checkOnlyPattern(options.only);
  const selected = [...new Set(options.backends ?? (await defaultBackends(suite)))];
  if (selected.length === 0) throw new UsageError('no backends selected');
  const factories = options.backendFactories ?? {};
  for (const name of selected) if (!factories[name]) findBackendEntry(name);
  const create = (name: string): Promise<Backend> => factories[name]?.() ?? createBackend(name);

  const backends = new Map<string, Backend>();
  const skipped: SkippedRun[] = [];
  try {
    for (const name of new Set([REFERENCE, ...selected])) backends.set(name, await create(name));
    if (selected.includes('brain') && !selected.includes(STOCK_LSTM)) {
      try {
        backends.set(STOCK_LSTM, await create(STOCK_LSTM));
      } catch (err) {
        if (!(err instanceof BackendUnavailableError)) throw err;
        skipped.push({ backend: STOCK_LSTM, experiment: 'time', workload: 'lstm', kind: 'unsupported', reason: err.message });
      }
    }
    const reference = backends.get(REFERENCE)!;
    const compared = [...backends.keys()].filter((n) => n !== REFERENCE || selected.includes(REFERENCE));

    const wanted = experiments.filter((e) => (options.experiments ?? experiments).includes(e));
    const workloads = buildWorkloads(suite, seed, wanted, loadMnistDigits, options.only);
    if (workloads.length === 0) throw new UsageError(`no ${suiteName}-suite workload of ${wanted.join(', ')} matches /${options.only}/`);
    const runsOf = (w: Workload): string[] =>
      compared.filter((n) => n !== STOCK_LSTM || selected.includes(STOCK_LSTM) || w.time?.cell === 'lstm');
    // the reference's gradients at init are only needed when some compared backend can run the workload; the cures'
    // deliberately bad initializations are not agreement cases
    const referenceForAgreement = (w: Workload): boolean =>
      !selected.includes(REFERENCE) && w.experiment !== 'cures' && runsOf(w).some((n) => canRun(backends.get(n)!, w.spec));
    const jobs: Job[] = workloads.flatMap((w, i) => [
      ...(referenceForAgreement(w) ? [{ workload: i, backend: REFERENCE, train: false, spread: measuresSpread(w) }] : []),
      ...runsOf(w).map((name) => ({ workload: i, backend: name, train: true, spread: name === REFERENCE && measuresSpread(w) })),
    ]);
    const total = jobs.length;
    let done = 0;
    const running = new Set<string>();
    const describe = (j: Job): string => `${workloads[j.workload]!.label} on ${j.backend}${j.train ? '' : ' (gradients at init)'}`;
    let startedCount = 0;
    const progress = (started?: string): void =>
      options.onProgress?.({ done, total, task: [...running].join(' | '), ...(started !== undefined && { started: { index: startedCount, task: started } }) });

    const workers = options.backendFactories || (options.workers ?? 1) <= 1 ? 1 : options.workers!;
    const runner: JobRunner = workers > 1 ? workerPoolRunner(workers, { suite: suiteName, seed, experiments: wanted, ...(options.only !== undefined && { only: options.only }) }) : inProcessRunner(workloads, backends);
    const outcomes = workloads.map(() => new Map<string, JobOutcome>());
    try {
      // side by side, the longest runs go first so the workers finish together; alone, in report order
      const cost = (j: Job): number => estimatedCost(workloads[j.workload]!, j.backend, j.train);
      const order = workers > 1 ? [...jobs].sort((a, b) => cost(b) - cost(a)) : [...jobs];
      await Promise.all(
        Array.from({ length: workers }, async () => {
          for (let job = order.shift(); job; job = order.shift()) {
            const task = describe(job);
            running.add(task);
            startedCount++;
            progress(task);
            outcomes[job.workload]!.set(job.backend, await runner.run(job));
            running.delete(task);
            done++;
            progress();
          }
        }),
      );
    } finally {
      await runner.close();
    }

    const results = emptyResults({
      gradscopeCompareVersion: VERSION,
      suite,
      experiments: wanted,
      ...(options.only !== undefined && { only: options.only }),
      seed,
      startedAt: startedAt.toISOString(),
      machine: machineInfo(),
      backends: compared.map((n) => {
        const b = backends.get(n)!;
        return { name: n, runtime: b.runtime, semantics: b.supports.semantics };
      }),
      workers,
    });
    results.skipped = skipped; // runs that fail below are added to it
    workloads.forEach((w, i) => {
      const ok = new Map<string, WorkloadOutcome>();
      // jobs in their listed order, so results do not depend on which worker finished first
      for (const name of [REFERENCE, ...runsOf(w)]) {
        const o = outcomes[i]!.get(name);
        if (!o) continue;
        if (o.ok) ok.set(name, o.outcome);
        else skipped.push({ backend: name, experiment: w.experiment, workload: w.label, kind: o.kind, reason: o.reason });
      }
      record(results, w, ok, backends, selected.includes(REFERENCE));
    });
    summarize(results);
    options.onProgress?.({ done, total, task: 'done' });
    results.durationMs = Date.now() - startedAt.getTime();
    return results;
  } finally {
    for (const b of backends.values()) await b.dispose();
  }
}

/**
 * Dense and conv ReLU nets have kinks a float32 runtime may land on the other side of, and deep plain nets amplify
 * rounding; the reference measures its own spread there (three more gradient passes, cheap beside training).
 */
function measuresSpread(w: Workload): boolean {
  return w.spec.kind === 'residual';
}
