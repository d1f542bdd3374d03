import type { GradientReport } from '../report.js';
import { firstLastRatio, selectParams, type GradientMonitor, type MonitorDecision, type ParamSelector } from './monitor.js';

export type GradientWarningKind = 'vanishing' | 'exploding' | 'deadUnits';

/** Where in the network a warning points. `state` is `h` (hidden), `c` (LSTM cell) or `x` (input) for recurrent norms. */
export type GradientLocation =
  | { readonly type: 'loss' }
  | { readonly type: 'global' }
  | { readonly type: 'firstLast' }
  | { readonly type: 'block'; readonly block: number }
  | { readonly type: 'timestep'; readonly state: 'h' | 'c' | 'x'; readonly layer: number; readonly t: number }
  | { readonly type: 'param'; readonly name: string };

export interface GradientWarning {
  readonly kind: GradientWarningKind;
  readonly step: number;
  readonly where: GradientLocation;
  /** The offending value (a norm, a ratio, a growth factor or a dead fraction). */
  readonly value: number;
  /** The threshold it crossed (NaN for a non-finite value, which needs no threshold). */
  readonly threshold: number;
  /** One line for people, e.g. `step 12: vanishing gradient at block 0: ||dL/dh|| = 3.1e-9 < 1e-8`. */
  readonly message: string;
}

export interface GradientDetectorOptions {
  /** Vanishing when the first/last ratio (block0/blockLast, h_0/h_{T-1}) is below this. Default 1e-4. */
  readonly vanishingRatio?: number;
  /** Vanishing when a block, timestep or parameter gradient norm is below this. Default 1e-8. */
  readonly vanishingNorm?: number;
  /** Exploding when the global gradient norm (before clipping) is above this. Default 1e3. */
  readonly explodingNorm?: number;
  /** Exploding when the global norm grows by more than this factor between two monitored steps. Default 1e2. */
  readonly explodingGrowth?: number;
  /**
   * A `deadUnits` warning when at least this fraction of a block's units were zero for the whole batch. Default 0.9
   * (half-dead ReLU blocks are common in nets that train well; nine in ten dead is a block that has stopped working).
   */
  readonly deadUnitFraction?: number;
  /** Watch only these parameters' gradient norms (names or a RegExp); architecture norms are always watched. */
  readonly select?: ParamSelector;
  /** Ask the training loop to stop at the first warning of these kinds. Default: never stop. */
  readonly stopOn?: readonly GradientWarningKind[];
  /** Called with each warning as it is found. */
  readonly onWarning?: (warning: GradientWarning) => void;
}

export const defaultDetectorThresholds = {
  vanishingRatio: 1e-4,
  vanishingNorm: 1e-8,
  explodingNorm: 1e3,
  explodingGrowth: 1e2,
  deadUnitFraction: 0.9,
} as const;

export interface GradientDetector extends GradientMonitor {
  /** Every warning so far, in order. */
  readonly warnings: readonly GradientWarning[];
}

/**
 * Flags vanishing and exploding gradients and dead ReLU units. Non-finite values (loss, global norm, any block,
 * timestep or parameter norm) always count as exploding, whatever the thresholds. To keep the list readable, each
 * block row or timestep row below `vanishingNorm` yields one warning at its smallest norm.
 */
export function createGradientDetector(options: GradientDetectorOptions = {}): GradientDetector {
  const t = { ...defaultDetectorThresholds, ...definedOnly(options) };
  const warnings: GradientWarning[] = [];
  let previousNorm: number | undefined;
  return {
    warnings,
    onStep(fullReport): MonitorDecision | void {
      const report = selectParams(fullReport, options.select);
      const found = inspect(report, t, previousNorm);
      previousNorm = report.gradNorm;
      for (const w of found) {
        warnings.push(w);
        options.onWarning?.(w);
      }
      const stopper = found.find((w) => options.stopOn?.includes(w.kind));
      if (stopper) return { stop: true, reason: stopper.message };
    },
  };
}

type Thresholds = { -readonly [K in keyof typeof defaultDetectorThresholds]: number };

function definedOnly(options: GradientDetectorOptions): Partial<Thresholds> {
  const out: Partial<Thresholds> = {};
  for (const key of Object.keys(defaultDetectorThresholds) as (keyof Thresholds)[]) {
    const v = options[key];
    if (v !== undefined) out[key] = v;
  }
  return out;
}

function inspect(r: GradientReport, t: Thresholds, previousNorm: number | undefined): GradientWarning[] {
  const out: GradientWarning[] = [];
  const warn = (kind: GradientWarningKind, where: GradientLocation, value: number, threshold: number, what: string): void => {
    const relation = kind === 'vanishing' ? '<' : kind === 'deadUnits' ? '>=' : '>';
    const rel = Number.isFinite(value) ? ` ${relation} ${fmt(threshold)}` : '';
    const message = `step ${r.step}: ${kind === 'deadUnits' ? 'dead units' : `${kind} gradient`} ${describe(where)}: ${what} = ${fmt(value)}${rel}`;
    out.push({ kind, step: r.step, where, value, threshold: Number.isFinite(value) ? threshold : NaN, message });
  };
  const nonFinite = (where: GradientLocation, value: number, what: string): boolean => {
    if (Number.isFinite(value)) return false;
    warn('exploding', where, value, NaN, what);
    return true;
  };

  nonFinite({ type: 'loss' }, r.loss, 'loss');
  if (!nonFinite({ type: 'global' }, r.gradNorm, '||g||')) {
    if (r.gradNorm > t.explodingNorm) warn('exploding', { type: 'global' }, r.gradNorm, t.explodingNorm, '||g||');
    else if (previousNorm !== undefined && previousNorm > 0 && r.gradNorm / previousNorm > t.explodingGrowth) {
      warn('exploding', { type: 'global' }, r.gradNorm / previousNorm, t.explodingGrowth, 'growth of ||g|| since the last monitored step');
    }
  }

  const row = (norms: readonly number[], where: (i: number) => GradientLocation, what: string): void => {
    let smallest = -1;
    norms.forEach((v, i) => {
      if (!nonFinite(where(i), v, what) && v < t.vanishingNorm && (smallest < 0 || v < norms[smallest]!)) smallest = i;
    });
    if (smallest >= 0) warn('vanishing', where(smallest), norms[smallest]!, t.vanishingNorm, what);
  };
  if (r.blockOutputGradNorms) row(r.blockOutputGradNorms, (block) => ({ type: 'block', block }), '||dL/dh||');
  r.hiddenGradNorms?.forEach((norms, layer) => row(norms, (i) => ({ type: 'timestep', state: 'h', layer, t: i }), '||dL/dh_t||'));
  r.cellGradNorms?.forEach((norms, layer) => row(norms, (i) => ({ type: 'timestep', state: 'c', layer, t: i }), '||dL/dc_t||'));
  if (r.inputGradNorms) row(r.inputGradNorms, (i) => ({ type: 'timestep', state: 'x', layer: 0, t: i }), '||dL/dx_t||');

  const ratio = firstLastRatio(r);
  if (ratio !== undefined && Number.isFinite(ratio) && ratio < t.vanishingRatio) {
    warn('vanishing', { type: 'firstLast' }, ratio, t.vanishingRatio, r.blockOutputGradNorms ? '||dL/d block_0|| / ||dL/d block_last||' : '||dL/dh_0|| / ||dL/dh_{T-1}||');
  }

  for (const [name, s] of Object.entries(r.params)) {
    if (nonFinite({ type: 'param', name }, s.gradNorm, '||dL/dθ||')) continue;
    if (s.gradNorm < t.vanishingNorm) warn('vanishing', { type: 'param', name }, s.gradNorm, t.vanishingNorm, '||dL/dθ||');
  }

  r.deadUnitFractions?.forEach((fraction, block) => {
    if (fraction >= t.deadUnitFraction) warn('deadUnits', { type: 'block', block }, fraction, t.deadUnitFraction, 'dead fraction');
  });
  return out;
}

function describe(where: GradientLocation): string {
  switch (where.type) {
    case 'loss':
      return 'in the loss';
    case 'global':
      return 'over all parameters';
    case 'firstLast':
      return 'across the network';
    case 'block':
      return `at block ${where.block}`;
    case 'timestep':
      return where.state === 'x' ? `at input timestep ${where.t}` : `at layer ${where.layer} timestep ${where.t} (${where.state})`;
    case 'param':
      return `at param ${where.name}`;
  }
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return v === 0 || Math.abs(v) >= 1e-3 ? v.toPrecision(3) : v.toExponential(2);
}
