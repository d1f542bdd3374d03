import type { Backend } from '@gradscope/core';
import { agreementRow } from './agreement.js';
import { degradationSummary } from './degradation.js';
import { ADDING_BASELINE_MSE, TOLERANCES, type CompareResults } from './results.js';
import type { WorkloadOutcome } from './run-workload.js';
import { median } from './stats.js';
import { computeVerdicts } from './verdicts.js';
import { timeLabel, type Workload } from './workloads.js';

// Browser-safe: how outcomes become a results.json, shared by the CLI and the web page.

export const REFERENCE = 'reference';
/** brain.js's own LSTM joins the time experiment's LSTM runs whenever `brain` is compared. */
export const STOCK_LSTM = 'brain-stock';

/** What a results.json keeps of a workload: what it is, not its weights or data. */
export type RecordedWorkload = Pick<Workload, 'experiment' | 'label' | 'spec' | 'depth' | 'time' | 'mnist' | 'cures'>;

/** What a results.json says about the run itself; the experiments' sections start empty. */
export type ResultsHeader = Pick<CompareResults, 'gradscopeCompareVersion' | 'suite' | 'experiments' | 'only' | 'seed' | 'startedAt' | 'machine' | 'backends' | 'workers'>;

export function emptyResults(header: ResultsHeader): CompareResults {
  const { gradscopeCompareVersion, suite, experiments, only, seed, startedAt, machine, backends, workers } = header;
  // the key order of the CLI's results.json files
  return {
    gradscopeCompareVersion,
    suite,
    experiments,
    ...(only !== undefined && { only }),
    seed,
    startedAt,
    durationMs: 0,
    machine,
    backends,
    depth: { runs: [] },
    time: { baselineMse: ADDING_BASELINE_MSE, runs: [] },
    mnist: { runs: [], degradation: degradationSummary([]) },
    cures: { init: [], clipping: [] },
    agreement: { tolerances: TOLERANCES, rows: [] },
    verdicts: [],
    workers,
    speed: { rows: [] },
    skipped: [],
  };
}

/** The degradation summary and the verdicts, computed from every recorded run. */
export function summarize(results: CompareResults): void {
  results.mnist.degradation = degradationSummary(results.mnist.runs);
  results.verdicts = computeVerdicts(results);
}

/** Adds one workload's outcomes on every backend to the results. */
export function record(
  results: CompareResults,
  w: RecordedWorkload,
  outcomes: ReadonlyMap<string, WorkloadOutcome>,
  backends: ReadonlyMap<string, Pick<Backend, 'supports'>>,
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
      const label = timeLabel(w.time.cell, w.time.forgetGate);
      results.time.runs.push({
        backend: name,
        ...w.time,
        label: name === STOCK_LSTM ? `${label} (brain.js stock)` : label,
        spec: w.spec,
        hiddenGradNorms: o.initial.hiddenGradNorms ?? [],
        ...(o.initial.cellGradNorms && { cellGradNorms: o.initial.cellGradNorms }),
        ...(o.initial.inputGradNorms && { inputGradNorms: o.initial.inputGradNorms }),
        gradSnapshots: o.timeSnapshots,
        loss: o.loss,
        testMse: o.testMse ?? NaN,
        testMseCurve: o.testMseCurve ?? [],
      });
    }
    if (w.cures?.part === 'init') {
      const { scheme, activation, depth } = w.cures;
      results.cures.init.push({ backend: name, scheme, activation, depth, blockNorms: o.initial.blockOutputGradNorms ?? [], loss: o.loss, ...(o.nonFiniteAt !== undefined && { nonFiniteAt: o.nonFiniteAt }) });
    }
    if (w.cures?.part === 'clipping') {
      results.cures.clipping.push({ backend: name, clip: w.cures.clip, gradNorm: o.gradNorm, loss: o.loss, ...(o.nonFiniteAt !== undefined && { nonFiniteAt: o.nonFiniteAt }) });
    }
    if (ref && name !== REFERENCE && w.experiment !== 'cures' && backends.get(name)!.supports.semantics === 'pytorch') {
      results.agreement.rows.push(agreementRow(w.label, name, o.initial, ref.initial, ref.spread));
    }
    if (o.stepMs.length > 0) {
      results.speed.rows.push({ backend: name, workload: w.label, medianStepMs: median(o.stepMs), steps: o.stepMs.length });
    }
  }
}
