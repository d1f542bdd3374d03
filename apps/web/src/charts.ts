import { colorOf, plottable, type ChartSpec, type SeriesSpec, type WorkloadOutcome } from '@gradscope/compare/browser';
import type { WebExperiment } from './state.js';

// The page's live charts as ChartSpecs, drawn with apps/compare's chartOption (the HTML report's charts).

/** What the charts read of one backend's run so far. */
export interface BackendRun {
  backend: string;
  outcome?: WorkloadOutcome;
}

interface Grid {
  /** Training step of each row (0 = initialization). */
  steps: number[];
  rows: number[][];
}

/** Block-output norms (dense and conv nets) or the top layer's ||dL/dh_t|| (recurrent nets), one row per snapshot. */
function gridOf(o: WorkloadOutcome | undefined, experiment: WebExperiment): Grid {
  if (!o) return { steps: [], rows: [] };
  const snaps = experiment === 'time' ? o.timeSnapshots.map((s) => ({ step: s.step, row: s.hidden })) : o.snapshots.map((s) => ({ step: s.step, row: s.norms }));
  return { steps: snaps.map((s) => s.step), rows: snaps.map((s) => s.row) };
}

const decade = (v: number): number => Math.log10(v);

/**
 * One heatmap per backend (x: block or timestep, y: training step), all on one log colour scale so the same colour
 * means the same gradient norm on every runtime.
 */
function heatmaps(runs: readonly BackendRun[], experiment: WebExperiment): ChartSpec[] {
  const axis = experiment === 'time' ? 't' : 'block';
  const what = experiment === 'time' ? '||dL/dh_t||' : '||dL/d block output||';
  const grids = runs.filter((r) => r.outcome).map((r) => ({ backend: r.backend, grid: gridOf(r.outcome, experiment) }));
  const values = grids.flatMap((g) => g.grid.rows.flat()).filter((v) => v > 0 && Number.isFinite(v));
  const range: [number, number] | undefined = values.length
    ? [Math.floor(decade(values.reduce((a, b) => Math.min(a, b)))), Math.ceil(decade(values.reduce((a, b) => Math.max(a, b))))]
    : undefined;
  return grids.map(({ backend, grid }) => {
    const width = grid.rows[0]?.length ?? 0;
    return {
      id: `heatmap-${backend}`,
      title: `${what} by ${axis} and training step · ${backend}`,
      caption: '',
      kind: 'heatmap',
      xName: axis,
      yName: 'training step',
      log: true,
      series: [],
      heatmap: {
        xCategories: Array.from({ length: width }, (_, i) => String(i)),
        yCategories: grid.steps.map(String),
        cells: grid.rows.flatMap((row, y) => row.map((v, x) => [x, y, plottable(v, true)] as [number, number, number | null])),
        ...(range && { range }),
      },
    };
  });
}

/** The norms along the net (or back through time) at initialization (dashed) and at the latest snapshot (solid). */
function profile(runs: readonly BackendRun[], experiment: WebExperiment, backends: readonly string[]): ChartSpec {
  const axis = experiment === 'time' ? 't' : 'block';
  const series: SeriesSpec[] = [];
  for (const r of runs) {
    const grid = gridOf(r.outcome, experiment);
    const color = colorOf(r.backend, backends);
    const line = (row: number[]): SeriesSpec['data'] => row.map((v, i) => [i, plottable(v, true)]);
    if (grid.rows[0]) series.push({ name: `init · ${r.backend}`, color, dash: 'dashed', data: line(grid.rows[0]) });
    const last = grid.rows.length - 1;
    if (last > 0) series.push({ name: `step ${grid.steps[last]} · ${r.backend}`, color, dash: 'solid', data: line(grid.rows[last]!) });
  }
  return {
    id: 'profile',
    title: experiment === 'time' ? 'Total ||dL/dh_t|| per timestep (top layer)' : 'Gradient norm per block',
    caption: '',
    kind: 'line',
    xName: axis,
    yName: experiment === 'time' ? '||dL/dh_t||' : '||dL/d block output||',
    log: true,
    series,
  };
}

function loss(runs: readonly BackendRun[], backends: readonly string[]): ChartSpec {
  return {
    id: 'loss',
    title: 'Training loss',
    caption: '',
    kind: 'line',
    xName: 'step',
    yName: 'loss',
    log: true,
    series: runs.map((r) => ({ name: r.backend, color: colorOf(r.backend, backends), data: (r.outcome?.loss ?? []).map((l, i) => [i + 1, plottable(l, true)]) })),
  };
}

/** Every live chart of a run, in page order. */
export function liveCharts(runs: readonly BackendRun[], experiment: WebExperiment): ChartSpec[] {
  const backends = runs.map((r) => r.backend);
  return [...heatmaps(runs, experiment), profile(runs, experiment, backends), loss(runs, backends)];
}

/** Values a chart actually draws (not gaps): the page shows it on each chart, and the E2E test reads it. */
export function plottedPoints(spec: ChartSpec): number {
  const cells = spec.heatmap?.cells.filter((c) => c[2] !== null).length ?? 0;
  return cells + spec.series.reduce((n, s) => n + s.data.filter((d) => d[1] !== null).length, 0);
}
