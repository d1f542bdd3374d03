import type { CellType } from '@gradscope/core';
import type { ClipCureRun, CompareResults, DepthRun, InitCureRun, MnistRun, TimeRun } from '../compare/results.js';
import { plottable, type ChartSpec, type SeriesSpec } from './chart-option.js';
import { colorOf } from './palette.js';

const cellDash: Record<CellType, SeriesSpec['dash']> = { lstm: 'solid', gru: 'dashed', rnn: 'dotted' };

const maxOf = (xs: readonly number[]): number => xs.reduce((a, b) => Math.max(a, b), -Infinity);

function depthSeriesName(r: DepthRun): string {
  return `${r.architecture} · ${r.backend}`;
}

export function timeSeriesName(r: TimeRun): string {
  return `${r.label} · ${r.backend}`;
}

function lossSeries(loss: readonly number[], log: boolean): [number, number | null][] {
  return loss.map((l, i) => [i + 1, plottable(l, log)]);
}

/** Per activation at the deepest depth: block norms at init, after training, and the loss curves. */
function depthCharts(results: CompareResults, backends: string[]): ChartSpec[] {
  const runs = results.depth.runs;
  if (runs.length === 0) return [];
  const deepest = maxOf(runs.map((r) => r.depth));
  const charts: ChartSpec[] = [];
  const activations = [...new Set(runs.map((r) => r.activation))];
  const style = (r: DepthRun): Pick<SeriesSpec, 'name' | 'color' | 'dash'> => ({
    name: depthSeriesName(r),
    color: colorOf(r.backend, backends),
    dash: r.architecture === 'residual' ? 'solid' : 'dashed',
  });
  for (const act of activations) {
    const atDepth = runs.filter((r) => r.activation === act && r.depth === deepest);
    charts.push({
      id: `depth-blocks-${act}`,
      title: `Gradient norm by block at initialization: ${act}, depth ${deepest}`,
      caption: `||dL/d(block output)|| for each block of a ${deepest}-block ${act} network at initialization; residual solid, plain dashed — the plain net's early blocks receive almost no gradient.`,
      kind: 'line',
      xName: 'block',
      yName: '||dL/d block output||',
      log: true,
      series: atDepth.map((r) => ({ ...style(r), data: (r.blockNorms[0]?.norms ?? []).map((v, i) => [i, plottable(v, true)]) })),
    });
    const trained = atDepth.filter((r) => r.blockNorms.length > 1);
    if (trained.length > 0) {
      const lastStep = maxOf(trained.map((r) => r.blockNorms[r.blockNorms.length - 1]!.step));
      charts.push({
        id: `depth-blocks-trained-${act}`,
        title: `Gradient norm by block after ${lastStep} training steps: ${act}, depth ${deepest}`,
        caption: `The same probe batch as above after ${lastStep} Adam steps: whether training lets gradient reach the first blocks.`,
        kind: 'line',
        xName: 'block',
        yName: '||dL/d block output||',
        log: true,
        series: trained.map((r) => ({ ...style(r), data: r.blockNorms[r.blockNorms.length - 1]!.norms.map((v, i) => [i, plottable(v, true)]) })),
      });
      charts.push({
        id: `depth-loss-${act}`,
        title: `Training loss: ${act}, depth ${deepest}`,
        caption: `MSE on each training batch of the dense task; residual solid, plain dashed.`,
        kind: 'line',
        xName: 'step',
        yName: 'loss',
        log: true,
        series: trained.map((r) => ({ ...style(r), data: lossSeries(r.loss, true) })),
      });
    }
  }
  const depths = [...new Set(runs.map((r) => r.depth))].sort((a, b) => a - b);
  const activationSymbol = ['circle', 'triangle', 'rect', 'diamond'] as const;
  const firstBlock = new Map<string, SeriesSpec>();
  for (const r of runs) {
    const name = `${r.architecture} ${r.activation} · ${r.backend}`;
    const s = firstBlock.get(name) ?? {
      name,
      color: colorOf(r.backend, backends),
      dash: r.architecture === 'residual' ? 'solid' : 'dashed',
      symbol: activationSymbol[activations.indexOf(r.activation) % activationSymbol.length]!,
      data: [],
    };
    s.data.push([String(r.depth), plottable(r.blockNorms[0]?.norms[0], true)]);
    firstBlock.set(name, s);
  }
  charts.push({
    id: 'depth-first-block',
    title: 'First-block gradient norm vs depth, at initialization',
    caption: `How much gradient reaches block 0 as the network gets deeper: residual solid, plain dashed; ${activations.map((a, i) => `${a} ${activationSymbol[i % activationSymbol.length]}`).join(', ')} markers.`,
    kind: 'line',
    xName: 'depth',
    yName: '||dL/d block 0 output||',
    categories: depths.map(String),
    log: true,
    series: [...firstBlock.values()],
  });
  return charts;
}

/** Per T: top-layer ||dL/dh_t|| at init; at the longest T: ||dL/dc_t|| and loss; test MSE vs T. */
function timeCharts(results: CompareResults, backends: string[]): ChartSpec[] {
  const runs = results.time.runs;
  if (runs.length === 0) return [];
  const style = (r: TimeRun): Pick<SeriesSpec, 'name' | 'color' | 'dash'> => ({
    name: timeSeriesName(r),
    color: colorOf(r.backend, backends),
    dash: cellDash[r.cell],
  });
  const lengths = [...new Set(runs.map((r) => r.T))].sort((a, b) => a - b);
  const longest = lengths[lengths.length - 1]!;
  const charts: ChartSpec[] = lengths.map((T) => ({
    id: `time-hidden-T${T}`,
    title: `Gradient norm by timestep at initialization, T = ${T}`,
    caption: `Total ||dL/dh_t|| of the top layer (through the recurrence) for each timestep of the adding problem; LSTM solid, GRU dashed, RNN dotted.`,
    kind: 'line' as const,
    xName: 't',
    yName: '||dL/dh_t||',
    log: true,
    series: runs
      .filter((r) => r.T === T)
      .map((r) => ({ ...style(r), data: (r.hiddenGradNorms[r.hiddenGradNorms.length - 1] ?? []).map((v, t) => [t, plottable(v, true)] as [number, number | null]) })),
  }));
  charts.push(...timeHeatmaps(runs.filter((r) => r.T === longest)));
  const curves = runs.filter((r) => r.T === longest && r.testMseCurve.length > 1);
  if (curves.length > 0) {
    charts.push({
      id: `time-test-mse-curve-T${longest}`,
      title: `Adding problem: test MSE during training, T = ${longest}`,
      caption: `MSE on ${results.suite.time.testSize} fresh sequences at initialization and every ${results.suite.time.reportEvery} steps; the dotted line is the always-predict-1.0 baseline. A gated net leaves the baseline once its path through time has opened.`,
      kind: 'line',
      xName: 'step',
      yName: 'test MSE',
      log: true,
      series: [
        ...curves.map((r) => ({ ...style(r), name: `${timeSeriesName(r)}${r.seed !== results.seed ? ` seed ${r.seed}` : ''}`, data: r.testMseCurve.map((p) => [p.step, plottable(p.mse, true)] as [number, number | null]) })),
        { name: 'baseline: always predict 1.0', color: '#999999', dash: 'dotted', data: [[0, results.time.baselineMse], [results.suite.time.steps, results.time.baselineMse]] },
      ],
    });
  }
  const withCell = runs.filter((r) => r.T === longest && r.cellGradNorms);
  if (withCell.length > 0) {
    charts.push({
      id: `time-cell-T${longest}`,
      title: `LSTM cell-state gradient norm by timestep, T = ${longest}`,
      caption: `Total ||dL/dc_t|| of the top layer at initialization: the cell state is the LSTM's path for gradient through time.`,
      kind: 'line',
      xName: 't',
      yName: '||dL/dc_t||',
      log: true,
      series: withCell.map((r) => ({ ...style(r), data: r.cellGradNorms![r.cellGradNorms!.length - 1]!.map((v, t) => [t, plottable(v, true)] as [number, number | null]) })),
    });
  }
  const trained = runs.filter((r) => r.T === longest && r.loss.length > 0);
  if (trained.length > 0) {
    charts.push({
      id: `time-loss-T${longest}`,
      title: `Training loss on the adding problem, T = ${longest}`,
      caption: `MSE on each training batch; predicting 1.0 everywhere scores ${results.time.baselineMse.toFixed(3)}.`,
      kind: 'line',
      xName: 'step',
      yName: 'loss',
      log: true,
      series: trained.map((r) => ({ ...style(r), data: lossSeries(r.loss, true) })),
    });
  }
  const mseRuns = runs.filter((r) => Number.isFinite(r.testMse));
  if (mseRuns.length > 0) {
    const byName = new Map<string, SeriesSpec>();
    for (const r of mseRuns) {
      const s = byName.get(timeSeriesName(r)) ?? { ...style(r), data: [] };
      s.data.push([String(r.T), plottable(r.testMse, true)]);
      byName.set(s.name, s);
    }
    const baseline: SeriesSpec = { name: 'baseline: always predict 1.0', color: '#999999', dash: 'dotted', data: lengths.map((T) => [String(T), results.time.baselineMse]) };
    charts.push({
      id: 'time-test-mse',
      title: 'Adding problem: test MSE after training vs T',
      caption: `MSE on ${results.suite.time.testSize} fresh sequences after ${results.suite.time.steps} steps; below the dotted baseline means the network learned to use the markers.`,
      kind: 'line',
      xName: 'T',
      yName: 'test MSE',
      categories: lengths.map(String),
      log: true,
      series: [...byName.values(), baseline],
    });
  }
  return charts;
}

/**
 * Timestep × training-step heatmaps of ||dL/dh_t|| (and ||dL/dc_t|| for an LSTM), one per network, on the first
 * backend that ran it with the first seed (the others agree; their grids are in results.json). Each row is divided by
 * its largest value, so a row shows how much of the gradient at the last timestep survives back to each earlier one,
 * whatever the loss is at that step.
 */
function timeHeatmaps(runs: readonly TimeRun[]): ChartSpec[] {
  const charts: ChartSpec[] = [];
  // one colour scale for every grid, so an RNN's dark left edge and an LSTM's bright one mean the same numbers
  let lowest = 0;
  const seen = new Set<string>();
  for (const r of runs) {
    if (r.gradSnapshots.length < 2 || seen.has(r.label)) continue;
    seen.add(r.label);
    const grid = (pick: (s: TimeRun['gradSnapshots'][number]) => number[] | undefined, what: string, id: string): ChartSpec => {
      const rows = r.gradSnapshots.map(pick);
      const cells: [number, number, number | null][] = [];
      rows.forEach((row, y) => {
        const max = row ? Math.max(...row.filter(Number.isFinite)) : NaN;
        row?.forEach((v, t) => {
          const rel = plottable(v / max, true);
          if (rel !== null) lowest = Math.min(lowest, Math.log10(rel));
          cells.push([t, y, rel]);
        });
      });
      return {
        id,
        title: `${what} through training: ${r.label}, T = ${r.T} (${r.backend})`,
        caption: `Each row is one training step (0 = initialization); each column a timestep t. Colour: ${what} relative to the row's largest value, on a log scale — dark columns on the left mean the gradient from the loss no longer reaches the early timesteps.`,
        kind: 'heatmap',
        xName: 't',
        yName: 'training step',
        log: true,
        series: [],
        heatmap: { xCategories: Array.from({ length: r.T }, (_, t) => String(t)), yCategories: r.gradSnapshots.map((s) => String(s.step)), cells },
      };
    };
    const slug = r.label.replace(/[^a-z0-9]+/gi, '-');
    charts.push(grid((s) => s.hidden, '||dL/dh_t||', `time-heatmap-h-${slug}`));
    if (r.gradSnapshots[0]!.cell) charts.push(grid((s) => s.cell, '||dL/dc_t||', `time-heatmap-c-${slug}`));
  }
  const range: [number, number] = [Math.max(-40, Math.floor(lowest)), 0];
  for (const c of charts) c.heatmap!.range = range;
  return charts;
}

const curesActivationSymbol = ['circle', 'triangle', 'rect', 'diamond'] as const;

/** Init × activation: how much of the last block's gradient reaches block 0 at init, and the loss after training. */
function curesCharts(results: CompareResults, backends: string[]): ChartSpec[] {
  const charts: ChartSpec[] = [];
  const init = results.cures.init;
  if (init.length > 0) {
    const schemes = [...new Set(init.map((r) => r.scheme))];
    const activations = [...new Set(init.map((r) => r.activation))];
    const seriesOf = (value: (r: InitCureRun) => number | undefined): SeriesSpec[] => {
      const byName = new Map<string, SeriesSpec>();
      for (const r of init) {
        const name = `${r.activation} · ${r.backend}`;
        const s = byName.get(name) ?? { name, color: colorOf(r.backend, backends), dash: (['solid', 'dashed', 'dotted'] as const)[activations.indexOf(r.activation) % 3]!, symbol: curesActivationSymbol[activations.indexOf(r.activation) % 4]!, data: [] };
        s.data.push([r.scheme, plottable(value(r), true)]);
        byName.set(name, s);
      }
      return [...byName.values()];
    };
    const depth = init[0]!.depth;
    charts.push({
      id: 'cures-init-first-block',
      title: `Initialization × activation: share of the gradient reaching block 0 of a ${depth}-block plain net`,
      caption: `||dL/d block 0|| / ||dL/d last block|| at initialization for each scheme (normal = N(0, 1) weights); 1 means nothing is lost on the way back, far below 1 vanishing, far above exploding.`,
      kind: 'line',
      xName: 'initialization',
      yName: 'block 0 / last block',
      categories: schemes,
      log: true,
      series: seriesOf((r) => r.blockNorms[0]! / r.blockNorms[r.blockNorms.length - 1]!),
    });
    charts.push({
      id: 'cures-init-loss',
      title: `Initialization × activation: training loss after ${results.suite.cures.init.steps} steps`,
      caption: `Final cross-entropy on two spirals of the same ${depth}-block plain nets (ln 2 ≈ 0.69 is chance); a net whose early blocks get no gradient stays near chance.`,
      kind: 'line',
      xName: 'initialization',
      yName: 'final loss',
      categories: schemes,
      log: true,
      series: seriesOf((r) => r.loss[r.loss.length - 1]),
    });
  }
  const clip = results.cures.clipping;
  if (clip.length > 0) {
    const clipDash = (r: ClipCureRun): SeriesSpec['dash'] => (r.clip === 'none' ? 'solid' : r.clip.startsWith('norm') ? 'dashed' : 'dotted');
    const series = (pick: (r: ClipCureRun) => number[]): SeriesSpec[] =>
      clip.map((r) => ({ name: `${r.clip} · ${r.backend}`, color: colorOf(r.backend, backends), dash: clipDash(r), data: pick(r).map((v, i) => [i + 1, plottable(v, true)] as [number, number | null]) }));
    const c = results.suite.cures.clipping;
    const stops = clip.filter((r) => r.nonFiniteAt !== undefined).map((r) => `${r.clip} on ${r.backend} at step ${r.nonFiniteAt}`);
    charts.push(
      {
        id: 'cures-clip-norm',
        title: 'Gradient clipping: total gradient norm per step (before clipping)',
        caption: `A tanh RNN (T = ${c.T}, hidden ${c.hiddenSize}) whose orthogonal recurrent weights are scaled by ${c.recurrentScale}, trained with ${c.optimizer.type} lr ${c.optimizer.lr}; unclipped solid, norm-clipped dashed, value-clipped dotted.${stops.length ? ` The non-finite detector stopped ${stops.join(', ')}.` : ''}`,
        kind: 'line',
        xName: 'step',
        yName: 'gradient norm',
        log: true,
        series: series((r) => r.gradNorm),
      },
      {
        id: 'cures-clip-loss',
        title: 'Gradient clipping: training loss per step',
        caption: 'MSE on each training batch of the same runs; without clipping the updates blow the weights up until the loss overflows.',
        kind: 'line',
        xName: 'step',
        yName: 'loss',
        log: true,
        series: series((r) => r.loss),
      },
    );
  }
  return charts;
}

function speedChart(results: CompareResults, backends: string[]): ChartSpec[] {
  const rows = results.speed.rows;
  if (rows.length === 0) return [];
  const workloads = [...new Set(rows.map((r) => r.workload))];
  const names = [...new Set(rows.map((r) => r.backend))];
  return [
    {
      id: 'speed-bars',
      title: 'Median training-step time',
      caption: 'Wall time of one training step (forward, backward, optimizer) per backend and workload, median over the run.',
      kind: 'bar',
      xName: 'ms per step',
      yName: '',
      categories: workloads,
      log: false,
      series: names.map((b) => ({
        name: b,
        color: colorOf(b, backends),
        data: workloads.map((w) => [w, plottable(rows.find((r) => r.backend === b && r.workload === w)?.medianStepMs, false)] as [string, number | null]),
      })),
      height: 120 + workloads.length * (names.length * 9 + 8),
    },
  ];
}

/** Plain-d / ResNet-d on MNIST: block norms at init and after training, training loss and test error curves. */
function mnistCharts(results: CompareResults, backends: string[]): ChartSpec[] {
  const runs = results.mnist.runs;
  if (runs.length === 0) return [];
  const s = results.suite.mnist;
  const depths = [...new Set(runs.map((r) => r.depth))].sort((a, b) => a - b);
  const depthSymbol = ['circle', 'triangle', 'rect', 'diamond'] as const;
  const style = (r: MnistRun): Pick<SeriesSpec, 'name' | 'color' | 'dash' | 'symbol'> => ({
    name: `${r.architecture === 'residual' ? 'ResNet' : 'plain'}-${r.depth} · ${r.backend}`,
    color: colorOf(r.backend, backends),
    dash: r.architecture === 'residual' ? 'solid' : 'dashed',
    symbol: depthSymbol[depths.indexOf(r.depth) % depthSymbol.length]!,
  });
  const legend = `residual solid, plain dashed; depth ${depths.map((d, i) => `${d} ${depthSymbol[i % depthSymbol.length]}`).join(', ')} markers`;
  const budget = `${s.steps} steps of SGD (lr ${s.optimizer.lr}, momentum ${s.optimizer.type === 'sgd' ? s.optimizer.momentum : '-'}), batch ${s.batch}, ${s.imageSize}×${s.imageSize} digits`;
  const blockChart = (id: string, title: string, caption: string, pick: (r: MnistRun) => number[] | undefined): ChartSpec => ({
    id,
    title,
    caption,
    kind: 'line',
    xName: 'block',
    yName: '||dL/d block output||',
    log: true,
    series: runs.flatMap((r) => {
      const norms = pick(r);
      return norms ? [{ ...style(r), data: norms.map((v, i) => [i, plottable(v, true)] as [number, number | null]) }] : [];
    }),
  });
  const charts: ChartSpec[] = [
    blockChart(
      'mnist-blocks-init',
      'MNIST: gradient norm by BasicBlock at initialization',
      `||dL/d(block output)|| for every BasicBlock of each network on the same batch of digits, before training; ${legend}.`,
      (r) => r.blockNorms[0]?.norms,
    ),
  ];
  const trained = runs.filter((r) => r.loss.length > 0);
  if (trained.length === 0) return charts;
  charts.push(
    blockChart(
      'mnist-blocks-trained',
      `MNIST: gradient norm by BasicBlock after ${s.steps} training steps`,
      `The same batch after ${budget}: how much gradient the early blocks still receive once training is under way; ${legend}.`,
      (r) => (r.loss.length > 0 && r.blockNorms.length > 1 ? r.blockNorms[r.blockNorms.length - 1]!.norms : undefined),
    ),
    {
      id: 'mnist-loss',
      title: 'MNIST: training loss',
      caption: `Cross-entropy on each training batch over ${budget}; ${legend}. Degradation would show as the deeper plain nets' curves lying above the shallower ones.`,
      kind: 'line',
      xName: 'step',
      yName: 'loss',
      log: true,
      series: trained.map((r) => ({ ...style(r), data: lossSeries(r.loss, true) })),
    },
    {
      id: 'mnist-test-error',
      title: 'MNIST: test error during training',
      caption: `Fraction of ${s.testSize} held-out digits misclassified (BatchNorm in eval mode) at initialization and every ${s.reportEvery} steps; ${legend}.`,
      kind: 'line',
      xName: 'step',
      yName: 'test error',
      log: false,
      series: trained.map((r) => ({ ...style(r), data: r.test.map((p) => [p.step, plottable(p.error, false)] as [number, number | null]) })),
    },
  );
  return charts;
}

export interface ReportCharts {
  depth: ChartSpec[];
  cures: ChartSpec[];
  mnist: ChartSpec[];
  time: ChartSpec[];
  speed: ChartSpec[];
}

/** Every chart of the report, built only from the results object (so results.json holds every number shown). */
export function buildCharts(results: CompareResults): ReportCharts {
  const backends = results.backends.map((b) => b.name);
  return { depth: depthCharts(results, backends), cures: curesCharts(results, backends), mnist: mnistCharts(results, backends), time: timeCharts(results, backends), speed: speedChart(results, backends) };
}
