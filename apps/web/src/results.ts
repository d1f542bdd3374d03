import { emptyResults, record, summarize, type BackendInfo, type CompareResults, type MachineInfo, type RecordedWorkload, type SkippedRun, type WorkloadOutcome } from '@gradscope/compare/browser';
import comparePackage from '@gradscope/compare/package.json';
import { experimentSuite } from './experiment.js';
import type { PageState } from './state.js';

// The page's run as a results.json in the CLI's format (apps/compare's own bookkeeping), so `gradscope report` renders it.

export interface RunRecord {
  state: PageState;
  startedAt: Date;
  /** Set once a worker has built it (every worker builds the same workload). */
  workload?: RecordedWorkload;
  backends: BackendInfo[];
  outcomes: Map<string, WorkloadOutcome>;
  skipped: SkippedRun[];
}

/** A browser has no CPU model or OS version to offer; the user agent says which browser ran it. */
function machine(): MachineInfo {
  return { os: navigator.platform || 'unknown', arch: 'browser', cpuModel: navigator.userAgent, cores: navigator.hardwareConcurrency, node: 'none (web page)' };
}

export function resultsOf(run: RunRecord, now = new Date()): CompareResults {
  // in the order the backends were chosen, as the CLI lists them, whichever worker finished first
  const order = run.state.backends as readonly string[];
  const byOrder = (a: string, b: string): number => order.indexOf(a) - order.indexOf(b);
  const outcomes = new Map([...run.outcomes].sort(([a], [b]) => byOrder(a, b)));
  const results = emptyResults({
    gradscopeCompareVersion: comparePackage.version,
    suite: experimentSuite(run.state),
    experiments: [run.state.experiment],
    seed: run.state.seed,
    startedAt: run.startedAt.toISOString(),
    machine: machine(),
    backends: [...run.backends].sort((a, b) => byOrder(a.name, b.name)),
    // one Web Worker per backend, side by side
    workers: run.state.backends.length,
  });
  if (run.workload) record(results, run.workload, outcomes, new Map(), false);
  results.skipped.push(...run.skipped);
  summarize(results);
  results.durationMs = now.getTime() - run.startedAt.getTime();
  return results;
}
