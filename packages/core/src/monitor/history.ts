import type { GradientReport, ParamStats } from '../report.js';
import { firstLastRatio, selectParams, type GradientMonitor, type ParamSelector } from './monitor.js';

/** Per-parameter series over the recorded steps. */
export interface ParamHistory {
  readonly gradNorm: number[];
  readonly weightNorm: number[];
  readonly updateRatio: number[];
}

/**
 * A recorded run, as series over the recorded steps (index i of every series belongs to `steps[i]`).
 * Architecture series are absent when the reports do not carry them.
 */
export interface HistorySummary {
  readonly steps: number[];
  /** The loss curve. */
  readonly loss: number[];
  readonly lr: number[];
  /** Global gradient norm before clipping. */
  readonly gradNorm: number[];
  readonly clipCoef: number[];
  /** First/last ratio per step (`firstLastRatio`): block0/blockLast or h_0/h_{T-1}. */
  readonly firstLastRatio?: number[];
  /** Residual: `blockNorms[i]` is step i's `[block]` row of ||dL/d(block output)|| (step first, like every series). */
  readonly blockNorms?: number[][];
  /** Residual: `deadUnitFractions[i]` is step i's `[block]` row of the fractions of units zero for the whole batch. */
  readonly deadUnitFractions?: number[][];
  /** Recurrent: `hiddenGradNorms[i]` is step i's `[numLayers][T]` grid of ||dL/dh_t||. */
  readonly hiddenGradNorms?: number[][][];
  /** LSTM: `cellGradNorms[i]` is step i's `[numLayers][T]` grid of ||dL/dc_t||. */
  readonly cellGradNorms?: number[][][];
  /** Recurrent: `inputGradNorms[i]` is step i's `[T]` row of ||dL/dx_t||. */
  readonly inputGradNorms?: number[][];
  /** Per selected parameter. */
  readonly params: Record<string, ParamHistory>;
}

export interface HistoryRecorderOptions {
  /** Keep per-parameter stats only for these parameters (names or a RegExp). */
  readonly select?: ParamSelector;
}

export interface HistoryRecorder extends GradientMonitor {
  /** The reports seen so far, in order (per-parameter stats already restricted by `select`). */
  readonly reports: readonly GradientReport[];
  summary(): HistorySummary;
}

/** Keeps every report it is given and summarises them as series (see `HistorySummary`). */
export function createHistoryRecorder(options: HistoryRecorderOptions = {}): HistoryRecorder {
  const reports: GradientReport[] = [];
  return {
    reports,
    onStep(report) {
      reports.push(selectParams(report, options.select));
    },
    summary: () => summarize(reports),
  };
}

function summarize(reports: readonly GradientReport[]): HistorySummary {
  const pick = <T>(f: (r: GradientReport) => T | undefined): T[] | undefined => {
    const values = reports.map(f);
    return values.length > 0 && values.every((v) => v !== undefined) ? (values as T[]) : undefined;
  };
  const params: Record<string, ParamHistory> = {};
  for (const r of reports) {
    for (const [name, s] of Object.entries(r.params)) {
      const h = (params[name] ??= { gradNorm: [], weightNorm: [], updateRatio: [] });
      push(h, s);
    }
  }
  return {
    steps: reports.map((r) => r.step),
    loss: reports.map((r) => r.loss),
    lr: reports.map((r) => r.lr),
    gradNorm: reports.map((r) => r.gradNorm),
    clipCoef: reports.map((r) => r.clipCoef),
    ...optional('firstLastRatio', pick(firstLastRatio)),
    ...optional('blockNorms', pick((r) => r.blockOutputGradNorms)),
    ...optional('deadUnitFractions', pick((r) => r.deadUnitFractions)),
    ...optional('hiddenGradNorms', pick((r) => r.hiddenGradNorms)),
    ...optional('cellGradNorms', pick((r) => r.cellGradNorms)),
    ...optional('inputGradNorms', pick((r) => r.inputGradNorms)),
    params,
  };
}

function push(h: ParamHistory, s: ParamStats): void {
  h.gradNorm.push(s.gradNorm);
  h.weightNorm.push(s.weightNorm);
  h.updateRatio.push(s.updateRatio);
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
