import type { GradientReport, ParamStats } from '../report.js';

/** A monitor's answer to a step: ask the training loop to stop, with a reason the user sees. */
export interface MonitorDecision {
  readonly stop: true;
  readonly reason: string;
}

/**
 * Watches the gradient reports of a training run. `train()` calls `onStep` after every monitored step and
 * `onEnd` once when the run ends (stopped or not), and awaits `onEnd` (a file sink closes its file there).
 */
export interface GradientMonitor {
  onStep(report: GradientReport): void | MonitorDecision;
  /**
   * Whether this monitor wants the report of `step` (1-based). Absent means every step. The training loop asks
   * the backend for a report only on steps some monitor wants, so unmonitored steps stay cheap.
   */
  wants?(step: number): boolean;
  onEnd?(): void | Promise<void>;
}

/** Passes every `n`-th step (steps n, 2n, 3n, ...) to `monitor`; the rest are never computed on its behalf. */
export function every(n: number, monitor: GradientMonitor): GradientMonitor {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`every(n): n must be a positive integer, got ${n}`);
  const wants = (step: number): boolean => step % n === 0 && (monitor.wants?.(step) ?? true);
  return {
    wants,
    onStep: (report) => (wants(report.step) ? monitor.onStep(report) : undefined),
    ...(monitor.onEnd ? { onEnd: () => monitor.onEnd!() } : {}),
  };
}

/** Which parameters a monitor looks at: exact names, or a RegExp tested against each name. */
export type ParamSelector = readonly string[] | RegExp;

export function selectsParam(select: ParamSelector | undefined, name: string): boolean {
  if (!select) return true;
  if (select instanceof RegExp) {
    select.lastIndex = 0; // a /g or /y RegExp keeps state between tests
    return select.test(name);
  }
  return select.includes(name);
}

/** The report with its per-parameter stats restricted to the selected parameters (the report itself is not changed). */
export function selectParams(report: GradientReport, select: ParamSelector | undefined): GradientReport {
  if (!select) return report;
  const params: Record<string, ParamStats> = {};
  for (const [name, stats] of Object.entries(report.params)) if (selectsParam(select, name)) params[name] = stats;
  return { ...report, params };
}

/**
 * How much gradient reaches the start compared with the end: `||dL/d block_0|| / ||dL/d block_{depth-1}||` for a
 * residual net, `||dL/dh_0|| / ||dL/dh_{T-1}||` of the top layer for a recurrent one. Undefined when the report has
 * neither (or fewer than two entries). A value far below 1 is a vanishing gradient.
 */
export function firstLastRatio(report: GradientReport): number | undefined {
  const row = report.blockOutputGradNorms ?? report.hiddenGradNorms?.at(-1);
  if (!row || row.length < 2) return undefined;
  return row[0]! / row.at(-1)!;
}
