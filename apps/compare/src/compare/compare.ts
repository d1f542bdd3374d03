import { NotSupportedError, type Backend } from '@gradscope/core';
import { availableBackendNames, BackendUnavailableError, createBackend, findBackendEntry } from '../backends.js';
import { UsageError } from '../cli-errors.js';
import { VERSION } from '../version.js';
import { agreementRow } from './agreement.js';
import { machineInfo } from './machine.js';
import { ADDING_BASELINE_MSE, TOLERANCES, type CompareResults, type SkippedRun } from './results.js';
import { degradationSummary } from './degradation.js';
import { canRun, runWorkload, type WorkloadOutcome } from './run-workload.js';
import { median } from './stats.js';
import { suites, type SuiteName } from './suites.js';
import { depthWorkloads, experiments, mnistWorkloads, timeWorkloads, type Experiment, type Workload } from './workloads.js';

export interface ProgressEvent {
  /** Runs finished so far, out of `total`. */
  done: number;
  total: number;
  /** What is about to run, e.g. `lstm T=30 on onnx`. */
  task: string;
}

export interface CompareOptions {
  /** Backends to compare (registry names). Default: every adapter that loads here, or `reference` when none does. */
  backends?: readonly string[];
  suite?: SuiteName;
  /** Which experiments to run (default all three, in the order depth, time, mnist). */
  experiments?: readonly Experiment[];
  /** Seed of the initial weights and of the data; the same on every backend. */
  seed?: number;
  onProgress?: (event: ProgressEvent) => void;
  /**
   * Backends that are not in the CLI's registry (say, one you are developing), by name; they can then be listed in
   * `backends`. A name here takes precedence over the registry's.
   */
  backendFactories?: Readonly<Record<string, () => Promise<Backend>>>;
}

const REFERENCE = 'reference';
/** brain.js's own LSTM joins the time experiment's LSTM runs whenever `brain` is compared. */
const STOCK_LSTM = 'brain-stock';

async function defaultBackends(): Promise<string[]> {
  const adapters = (await availableBackendNames()).filter((n) => n !== REFERENCE && n !== STOCK_LSTM);
  return adapters.length > 0 ? adapters : [REFERENCE];
}

function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Runs the depth, time and MNIST-depth experiments on every chosen backend with identical specs, initial weights and data,
 * checks each backend's gradients against the float64 reference, and times the training steps.
 */
export async function compare(options: CompareOptions = {}): Promise<CompareResults> {
  const startedAt = new Date();
  const suite = suites[options.suite ?? 'quick'];
  if (!suite) throw new UsageError(`unknown suite "${String(options.suite)}" (expected one of ${Object.keys(suites).join('|')})`);
  const seed = options.seed ?? 0;
  const selected = [...new Set(options.backends ?? (await defaultBackends()))];
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

    const wanted = new Set(options.experiments ?? experiments);
    const workloads = [
      ...(wanted.has('depth') ? depthWorkloads(suite, seed) : []),
      ...(wanted.has('time') ? timeWorkloads(suite, seed) : []),
      ...(wanted.has('mnist') ? mnistWorkloads(suite, seed) : []),
    ];
    const runsOf = (w: Workload): string[] =>
      compared.filter((n) => n !== STOCK_LSTM || selected.includes(STOCK_LSTM) || w.time?.cell === 'lstm');
    // the reference's gradients at init are only needed when some compared backend can run the workload
    const referenceForAgreement = (w: Workload): boolean =>
      !selected.includes(REFERENCE) && runsOf(w).some((n) => canRun(backends.get(n)!, w.spec));
    const total = workloads.reduce((n, w) => n + runsOf(w).length + (referenceForAgreement(w) ? 1 : 0), 0);
    let done = 0;
    const progress = (task: string): void => options.onProgress?.({ done, total, task });

    const results: CompareResults = {
      gradscopeCompareVersion: VERSION,
      suite,
      experiments: experiments.filter((e) => wanted.has(e)),
      seed,
      startedAt: startedAt.toISOString(),
      durationMs: 0,
      machine: machineInfo(),
      backends: compared.map((n) => {
        const b = backends.get(n)!;
        return { name: n, runtime: b.runtime, semantics: b.supports.semantics };
      }),
      depth: { runs: [] },
      time: { baselineMse: ADDING_BASELINE_MSE, runs: [] },
      mnist: { runs: [], degradation: degradationSummary([]) },
      agreement: { tolerances: TOLERANCES, rows: [] },
      speed: { rows: [] },
      skipped,
    };

    for (const w of workloads) {
      const outcomes = new Map<string, WorkloadOutcome>();
      if (referenceForAgreement(w)) {
        progress(`${w.label} on reference (gradients at init)`);
        outcomes.set(REFERENCE, await runWorkload(reference, w, false, isConv(w)));
        done++;
      }
      for (const name of runsOf(w)) {
        progress(`${w.label} on ${name}`);
        try {
          outcomes.set(name, await runWorkload(backends.get(name)!, w, true, name === REFERENCE && isConv(w)));
        } catch (err) {
          // one backend failing on one workload must not throw away the rest of a long run
          const kind = err instanceof NotSupportedError ? 'unsupported' : 'failed';
          skipped.push({ backend: name, experiment: w.experiment, workload: w.label, kind, reason: reasonOf(err) });
        }
        done++;
      }
      record(results, w, outcomes, backends, selected.includes(REFERENCE));
    }
    results.mnist.degradation = degradationSummary(results.mnist.runs);
    options.onProgress?.({ done, total, task: 'done' });
    results.durationMs = Date.now() - startedAt.getTime();
    return results;
  } finally {
    for (const b of backends.values()) await b.dispose();
  }
}

/** Conv nets have ReLU kinks a float32 runtime may land on the other side of; the reference measures its spread there. */
function isConv(w: Workload): boolean {
  return w.spec.kind === 'residual' && w.spec.variant === 'conv';
}

/** Adds one workload's outcomes on every backend to the results. */
function record(
  results: CompareResults,
  w: Workload,
  outcomes: Map<string, WorkloadOutcome>,
  backends: Map<string, Backend>,
  referenceSelected: boolean,
): void {
  const ref = outcomes.get(REFERENCE);
  for (const [name, o] of outcomes) {
    const shown = name !== REFERENCE || referenceSelected;
    if (!shown) continue;
    if (o.trainingSkipped) {
      results.skipped.push({ backend: name, experiment: w.experiment, workload: `${w.label} (training)`, kind: 'unsupported', reason: o.trainingSkipped });
    }
    if (w.depth) {
      results.depth.runs.push({
        backend: name,
        ...w.depth,
        spec: w.spec,
        blockNorms: o.snapshots,
        ...(o.initial.deadUnitFractions && { deadUnitFractions: o.initial.deadUnitFractions }),
        loss: o.loss,
      });
    }
    if (w.mnist) {
      results.mnist.runs.push({
        backend: name,
        ...w.mnist,
        spec: w.spec,
        blockNorms: o.snapshots,
        ...(o.initial.deadUnitFractions && { deadUnitFractions: o.initial.deadUnitFractions }),
        loss: o.loss,
        test: o.test ?? [],
      });
    }
    if (w.time) {
      results.time.runs.push({
        backend: name,
        ...w.time,
        label: name === STOCK_LSTM ? `${w.time.cell} (brain.js stock)` : w.time.cell,
        spec: w.spec,
        hiddenGradNorms: o.initial.hiddenGradNorms ?? [],
        ...(o.initial.cellGradNorms && { cellGradNorms: o.initial.cellGradNorms }),
        ...(o.initial.inputGradNorms && { inputGradNorms: o.initial.inputGradNorms }),
        loss: o.loss,
        testMse: o.testMse ?? NaN,
      });
    }
    if (ref && name !== REFERENCE && backends.get(name)!.supports.semantics === 'pytorch') {
      results.agreement.rows.push(agreementRow(w.label, name, o.initial, ref.initial, ref.spread));
    }
    if (o.stepMs.length > 0) {
      results.speed.rows.push({ backend: name, workload: w.label, medianStepMs: median(o.stepMs), steps: o.stepMs.length });
    }
  }
}
