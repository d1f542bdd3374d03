import type { CompareResults } from './results.js';

export interface Table {
  title: string;
  headers: string[];
  rows: string[][];
}

/** Three significant digits, exponent form for very small or large values; non-finite values spelled out. */
export function fmt(value: number | undefined): string {
  if (value === undefined) return '-';
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const a = Math.abs(value);
  return a < 1e-3 || a >= 1e5 ? value.toExponential(2) : String(Number(value.toPrecision(3)));
}

const last = <T>(xs: readonly T[]): T | undefined => xs[xs.length - 1];

/** The test MSE the time table counts steps to (LIBRARY-FACTS.md's PyTorch yardstick for T = 50). */
export const STEPS_TO_MSE = 0.05;

/** The result tables, in report order. Text and HTML render the same tables. */
export function resultTables(r: CompareResults): Table[] {
  const tables: Table[] = [];
  if (r.depth.runs.length > 0) {
    tables.push({
      title: 'Depth: gradient reaching the first and last block at initialization, and the loss after training',
      headers: ['activation', 'depth', 'net', 'backend', '||dL/d block 0||', '||dL/d last block||', 'first/last', 'final loss'],
      rows: r.depth.runs.map((run) => {
        const norms = run.blockNorms[0]?.norms ?? [];
        const first = norms[0];
        const lastNorm = last(norms);
        return [
          run.activation,
          String(run.depth),
          run.architecture,
          run.backend,
          fmt(first),
          fmt(lastNorm),
          fmt(first !== undefined && lastNorm ? first / lastNorm : undefined),
          fmt(last(run.loss)),
        ];
      }),
    });
  }
  if (r.time.runs.length > 0) {
    const multiSeed = new Set(r.time.runs.map((run) => run.seed)).size > 1;
    const steps = r.suite.time.steps;
    tables.push({
      title: `Time: gradient reaching the first timestep at initialization and after ${steps} steps, and test MSE on the adding problem (baseline ${fmt(r.time.baselineMse)})`,
      headers: ['T', 'network', ...(multiSeed ? ['seed'] : []), 'backend', '||dL/dh_0|| init', '||dL/dh_0|| trained', '||dL/dc_0|| init', 'test MSE', `first step ≤ ${STEPS_TO_MSE}`],
      rows: r.time.runs.map((run) => {
        const top = last(run.hiddenGradNorms) ?? [];
        const trained = run.gradSnapshots.length > 1 ? last(run.gradSnapshots) : undefined;
        const reached = run.testMseCurve.find((p) => p.mse <= STEPS_TO_MSE);
        return [
          String(run.T),
          run.label,
          ...(multiSeed ? [String(run.seed)] : []),
          run.backend,
          fmt(top[0]),
          fmt(trained?.hidden[0]),
          fmt(last(run.cellGradNorms ?? [])?.[0]),
          fmt(run.testMse),
          run.loss.length === 0 ? '-' : reached ? String(reached.step) : `> ${run.loss.length}`,
        ];
      }),
    });
  }
  if (r.mnist.runs.length > 0) {
    const m = r.suite.mnist;
    tables.push({
      title: `Depth on real digits (MNIST ${m.imageSize}×${m.imageSize}; ${m.steps} steps, batch ${m.batch}, ${m.optimizer.type} lr ${m.optimizer.lr}): gradient reaching the first block at init, final training loss (mean of the last ${r.mnist.degradation.window} steps) and test error`,
      headers: ['depth', 'net', 'backend', '||dL/d block 0||', '||dL/d last block||', 'final loss', 'test error'],
      rows: r.mnist.runs.map((run) => {
        const norms = run.blockNorms[0]?.norms ?? [];
        const window = r.mnist.degradation.window;
        const final = run.loss.length > 0 ? run.loss.slice(-window).reduce((a, b) => a + b, 0) / Math.min(window, run.loss.length) : undefined;
        return [String(run.depth), run.architecture === 'residual' ? 'ResNet' : 'plain', run.backend, fmt(norms[0]), fmt(last(norms)), fmt(final), fmt(last(run.test)?.error)];
      }),
    });
  }
  if (r.cures.init.length > 0) {
    const c = r.suite.cures.init;
    tables.push({
      title: `Cures: initialization × activation on a ${c.depth}-block plain dense net — gradient reaching block 0 at initialization, and the loss after ${c.steps} ${c.optimizer.type} steps`,
      headers: ['activation', 'init', 'backend', '||dL/d block 0||', '||dL/d last block||', 'first/last', 'final loss'],
      rows: r.cures.init.map((run) => [
        run.activation,
        run.scheme === 'normal' ? 'normal N(0,1)' : run.scheme,
        run.backend,
        fmt(run.blockNorms[0]),
        fmt(last(run.blockNorms)),
        fmt(run.blockNorms[0]! / last(run.blockNorms)!),
        run.nonFiniteAt !== undefined ? `not finite at step ${run.nonFiniteAt}` : fmt(last(run.loss)),
      ]),
    });
  }
  if (r.cures.clipping.length > 0) {
    const c = r.suite.cures.clipping;
    tables.push({
      title: `Cures: gradient clipping on a tanh RNN with exploding gradients (T = ${c.T}, recurrent weights ×${c.recurrentScale}, ${c.optimizer.type} lr ${c.optimizer.lr}, ${c.steps} steps)`,
      headers: ['clip', 'backend', 'largest gradient norm', 'stopped', 'final loss'],
      rows: r.cures.clipping.map((run) => [
        run.clip,
        run.backend,
        fmt(Math.max(...run.gradNorm.filter(Number.isFinite))),
        run.nonFiniteAt !== undefined ? `non-finite at step ${run.nonFiniteAt}` : 'no',
        fmt(last(run.loss.filter(Number.isFinite))),
      ]),
    });
  }
  if (r.agreement.rows.length > 0) {
    const t = r.agreement.tolerances;
    const verdict = (a: CompareResults['agreement']['rows'][number]): string => {
      if (a.pass) return a.underflow > 0 ? `yes (underflow: ${a.underflow} values below float32 range on both)` : 'yes';
      return a.withinFloat32Spread ? `float32 kink (ref. spread ${fmt(a.spread!.grads)})` : 'NO';
    };
    tables.push({
      title: `Agreement with the float64 reference (tolerances: output ${t.output}, gradients ${t.grads}, norm series ${t.norms} per value)`,
      headers: ['spec', 'backend', 'output', 'gradients', 'worst parameter', 'norm series', 'within tolerance'],
      rows: r.agreement.rows.map((a) => [a.spec, a.backend, fmt(a.output), fmt(a.grads), a.worstParam, fmt(a.norms), verdict(a)]),
    });
  }
  if (r.speed.rows.length > 0) {
    tables.push({
      title: 'Speed: median training-step time',
      headers: ['workload', 'backend', 'ms per step', 'steps'],
      rows: r.speed.rows.map((s) => [s.workload, s.backend, fmt(s.medianStepMs), String(s.steps)]),
    });
  }
  if (r.skipped.length > 0) {
    tables.push({
      title: 'Not run',
      headers: ['experiment', 'workload', 'backend', 'why', 'reason'],
      rows: r.skipped.map((s) => [s.experiment, s.workload, s.backend, s.kind === 'failed' ? 'FAILED' : 'not supported', s.reason]),
    });
  }
  return tables;
}

/** A plain-text table with aligned columns. */
export function formatTextTable(t: Table): string {
  const widths = t.headers.map((h, i) => Math.max(h.length, ...t.rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [t.title, line(t.headers), widths.map((w) => '-'.repeat(w)).join('  '), ...t.rows.map(line)].join('\n');
}
