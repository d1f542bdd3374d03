import type { ClipCureRun, CompareResults, DepthRun, InitCureRun, TimeRun, Verdict } from './results.js';
import { fmt } from './tables.js';
import type { Experiment } from './workloads.js';

/**
 * The thresholds that turn numbers into "shown". A gradient has vanished when the first block or timestep gets less
 * than `vanished` of what the last one gets, and is alive above `alive`; the adding problem is learned at test MSE
 * `learned` or below (the always-1.0 baseline is 1/6) and not learned at `stuck` or above.
 */
export const VERDICT_THRESHOLDS = { vanished: 1e-3, alive: 0.1, learned: 0.05, stuck: 0.12, explodedNorm: 1e6 } as const;

interface BackendCheck {
  backend: string;
  shown: boolean;
  numbers: number[];
}

const last = <T>(xs: readonly T[]): T | undefined => xs[xs.length - 1];
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const backendsOf = <T extends { backend: string }>(runs: readonly T[]): string[] => [...new Set(runs.map((r) => r.backend))];

/** `claim: a vs b (tfjs, onnx, brain)`, with the backends where it was not shown named and their numbers. */
function verdict(claim: string, experiment: Experiment, checks: BackendCheck[], describe: (numbers: number[]) => string): Verdict | undefined {
  if (checks.length === 0) return undefined;
  const shownOn = checks.filter((c) => c.shown);
  const notShown = checks.filter((c) => !c.shown);
  const shown = notShown.length === 0;
  const head = shownOn[0] ?? checks[0]!;
  const parts = [`${shown ? 'shown' : 'NOT shown'}: ${claim}: ${describe(head.numbers)} (${(shownOn.length ? shownOn : checks).map((c) => c.backend).join(', ')})`];
  if (!shown && shownOn.length > 0) parts.push(`not on ${notShown.map((c) => `${c.backend} (${describe(c.numbers)})`).join(', ')}`);
  return { claim, experiment, shown, backends: checks, text: parts.join('; ') };
}

/** Residual skips keep the gradient alive at the deepest depth while the plain net's first block loses it. */
function depthVerdicts(runs: readonly DepthRun[]): Verdict[] {
  if (runs.length === 0) return [];
  const deepest = Math.max(...runs.map((r) => r.depth));
  const out: Verdict[] = [];
  for (const activation of [...new Set(runs.map((r) => r.activation))]) {
    const checks: BackendCheck[] = [];
    for (const backend of backendsOf(runs)) {
      const pick = (arch: DepthRun['architecture']): number[] | undefined =>
        runs.find((r) => r.backend === backend && r.activation === activation && r.depth === deepest && r.architecture === arch)?.blockNorms[0]?.norms;
      const res = pick('residual');
      const plain = pick('plain');
      if (!res || !plain) continue;
      const alive = res[0]! / last(res)! >= VERDICT_THRESHOLDS.alive;
      const vanished = plain[0]! / last(plain)! <= VERDICT_THRESHOLDS.vanished;
      checks.push({ backend, shown: alive && vanished, numbers: [res[0]!, plain[0]!] });
    }
    const v = verdict(`residual keeps the gradient at depth ${deepest} (${activation})`, 'depth', checks, ([r, p]) => `block 0 gets ${fmt(r)} with skips vs ${fmt(p)} without`);
    if (v) out.push(v);
  }
  return out;
}

/** He et al.'s degradation on MNIST, from the degradation rows (final training loss by depth). */
function mnistVerdicts(r: CompareResults): Verdict[] {
  const rows = r.mnist.degradation.rows;
  const checks: BackendCheck[] = [];
  for (const backend of backendsOf(rows)) {
    const plain = rows.find((x) => x.backend === backend && x.architecture === 'plain');
    const res = rows.find((x) => x.backend === backend && x.architecture === 'residual');
    if (!plain || !res) continue;
    const change = (x: typeof plain): number => last(x.finalLoss)! / x.finalLoss[0]! - 1;
    checks.push({ backend, shown: plain.worseWithDepth && !res.worseWithDepth, numbers: [change(plain), change(res), last(plain.depths)!, plain.depths[0]!] });
  }
  const pct = (x: number): string => `${x >= 0 ? '+' : ''}${Math.round(x * 100)}%`;
  const v = verdict('a deeper plain conv net trains worse, a deeper ResNet does not (MNIST)', 'mnist', checks, ([p, q, d, s]) => `final loss ${d} vs ${s} layers ${pct(p!)} plain vs ${pct(q!)} ResNet`);
  return v ? [v] : [];
}

/** Median test MSE over seeds of one time variant at T. */
function timeMse(runs: readonly TimeRun[], backend: string, label: string, T: number): number | undefined {
  const mine = runs.filter((r) => r.backend === backend && timeVariantLabel(r) === label && r.T === T);
  return mine.length ? median(mine.map((r) => r.testMse)) : undefined;
}

/** The time run's variant without seed or flavour: `rnn`, `gru`, `lstm chrono:50`. */
export function timeVariantLabel(r: TimeRun): string {
  return r.forgetGate === 'pytorch' ? r.cell : `${r.cell} ${r.forgetGate}`;
}

/**
 * Gates carry the gradient across long lags: at the longest T the GRU and the LSTM (its last-listed init, the one the
 * suite shows) learn the adding problem while the tanh RNN stays at the baseline. With several LSTM inits, also
 * whether the chosen init beats PyTorch's default there.
 */
function timeVerdicts(runs: readonly TimeRun[]): Verdict[] {
  const faithful = runs.filter((r) => !r.label.includes('(brain.js stock)'));
  if (faithful.length === 0) return [];
  const T = Math.max(...faithful.map((r) => r.T));
  const lstmLabels = [...new Set(faithful.filter((r) => r.cell === 'lstm').map(timeVariantLabel))];
  const lstm = last(lstmLabels);
  const out: Verdict[] = [];
  const checks: BackendCheck[] = [];
  for (const backend of backendsOf(faithful)) {
    const gru = timeMse(faithful, backend, 'gru', T);
    const l = lstm === undefined ? undefined : timeMse(faithful, backend, lstm, T);
    const rnn = timeMse(faithful, backend, 'rnn', T);
    if (gru === undefined || l === undefined || rnn === undefined) continue;
    const { learned, stuck } = VERDICT_THRESHOLDS;
    checks.push({ backend, shown: gru <= learned && l <= learned && rnn >= stuck, numbers: [gru, l, rnn] });
  }
  const seeds = new Set(faithful.map((r) => r.seed)).size;
  const over = seeds > 1 ? ` (median of ${seeds} seeds)` : '';
  const v = verdict(`gates carry the gradient across T = ${T} (adding problem)`, 'time', checks, ([g, l, r]) => `test MSE GRU ${fmt(g)}, ${lstm} ${fmt(l)} vs tanh RNN ${fmt(r)}${over}`);
  if (v) out.push(v);
  if (lstm !== undefined && lstm !== 'lstm' && lstmLabels.includes('lstm')) {
    const initChecks: BackendCheck[] = [];
    for (const backend of backendsOf(faithful)) {
      const chosen = timeMse(faithful, backend, lstm, T);
      const plain = timeMse(faithful, backend, 'lstm', T);
      if (chosen === undefined || plain === undefined) continue;
      initChecks.push({ backend, shown: chosen <= VERDICT_THRESHOLDS.learned && plain >= VERDICT_THRESHOLDS.stuck, numbers: [chosen, plain] });
    }
    const iv = verdict(`the forget-gate init ${lstm.replace('lstm ', '')} lets the LSTM learn T = ${T}`, 'time', initChecks, ([c, p]) => `test MSE ${fmt(c)} vs ${fmt(p)} with PyTorch's default init${over}`);
    if (iv) out.push(iv);
  }
  return out;
}

/**
 * Initialization and activation at depth: per activation, the scheme that keeps block 0's gradient largest vs the one
 * that keeps it smallest (or explodes); and ReLU with He init vs sigmoid with PyTorch's default.
 */
function initVerdicts(runs: readonly InitCureRun[]): Verdict[] {
  if (runs.length === 0) return [];
  const depth = runs[0]!.depth;
  const ratio = (r: InitCureRun): number => r.blockNorms[0]! / last(r.blockNorms)!;
  const out: Verdict[] = [];
  const checks: BackendCheck[] = [];
  for (const backend of backendsOf(runs)) {
    const mine = runs.filter((r) => r.backend === backend && r.activation !== 'sigmoid');
    // the best-preserved first block (ratio nearest 1 on a log scale) against PyTorch's default for the same activation
    const best = [...mine].sort((a, b) => Math.abs(Math.log10(ratio(a))) - Math.abs(Math.log10(ratio(b))))[0];
    const baseline = best && mine.find((r) => r.activation === best.activation && r.scheme === 'pytorch');
    if (!best || !baseline) continue;
    const shown = ratio(best) >= VERDICT_THRESHOLDS.alive && ratio(baseline) <= VERDICT_THRESHOLDS.vanished;
    checks.push({ backend, shown, numbers: [ratio(best), ratio(baseline)] });
  }
  const best = runs.filter((r) => r.backend === checks[0]?.backend && r.activation !== 'sigmoid').sort((a, b) => Math.abs(Math.log10(ratio(a))) - Math.abs(Math.log10(ratio(b))))[0];
  if (best) {
    const v = verdict(`initialization keeps a ${depth}-deep plain ${best.activation} net's gradient alive`, 'cures', checks, ([b, p]) => `block 0 / last block ${fmt(b)} with ${best.scheme} vs ${fmt(p)} with PyTorch's default`);
    if (v) out.push(v);
  }
  const actChecks: BackendCheck[] = [];
  for (const backend of backendsOf(runs)) {
    const relu = runs.find((r) => r.backend === backend && r.activation === 'relu' && r.scheme === 'kaiming');
    const sigmoid = runs.find((r) => r.backend === backend && r.activation === 'sigmoid' && r.scheme === 'pytorch');
    if (!relu || !sigmoid) continue;
    actChecks.push({ backend, shown: ratio(relu) >= VERDICT_THRESHOLDS.alive && ratio(sigmoid) <= VERDICT_THRESHOLDS.vanished, numbers: [ratio(relu), ratio(sigmoid)] });
  }
  const av = verdict(`the activation matters at depth ${depth}`, 'cures', actChecks, ([r, s]) => `block 0 / last block ${fmt(r)} with ReLU (He init) vs ${fmt(s)} with sigmoid`);
  if (av) out.push(av);
  return out;
}

/** Clipping: unclipped, the exploding run overflows (or its gradient norm passes 1e6); every clipped run stays finite. */
function clipVerdicts(runs: readonly ClipCureRun[]): Verdict[] {
  const checks: BackendCheck[] = [];
  for (const backend of backendsOf(runs)) {
    const none = runs.find((r) => r.backend === backend && r.clip === 'none');
    const clipped = runs.filter((r) => r.backend === backend && r.clip !== 'none');
    if (!none || clipped.length === 0) continue;
    const exploded = none.nonFiniteAt !== undefined || Math.max(...none.gradNorm) >= VERDICT_THRESHOLDS.explodedNorm;
    const tamed = clipped.every((r) => r.nonFiniteAt === undefined && r.loss.every(Number.isFinite));
    checks.push({ backend, shown: exploded && tamed, numbers: [none.nonFiniteAt ?? NaN, Math.max(...none.gradNorm.filter(Number.isFinite)), ...clipped.map((r) => last(r.loss) ?? NaN)] });
  }
  const names = runs.filter((r) => r.clip !== 'none' && r.backend === checks[0]?.backend).map((r) => r.clip);
  // float32 runtimes overflow a few steps apart once the weights have blown up: name each backend's step
  const stops = checks.filter((c) => !Number.isNaN(c.numbers[0]!));
  const stepText = new Set(stops.map((c) => c.numbers[0])).size > 1 ? stops.map((c) => `${c.numbers[0]} (${c.backend})`).join(', ') : String(stops[0]?.numbers[0]);
  const v = verdict('gradient clipping tames an exploding gradient', 'cures', checks, ([at, peak, ...losses]) => {
    const unclipped = Number.isNaN(at!) ? `unclipped the norm reaches ${fmt(peak)}` : `unclipped the norm reaches ${fmt(peak)} and the loss is not finite at step ${stepText}`;
    return `${unclipped}; ${names.map((n, i) => `${n} ends at loss ${fmt(losses[i])}`).join(', ')}`;
  });
  return v ? [v] : [];
}

/** Every runtime's gradients agree with the float64 reference (float32 kinks count as agreeing, and are named). */
function agreementVerdicts(r: CompareResults): Verdict[] {
  const rows = r.agreement.rows;
  const checks = backendsOf(rows).map((backend) => {
    const mine = rows.filter((x) => x.backend === backend);
    const ok = mine.filter((x) => x.pass || x.withinFloat32Spread).length;
    return { backend, shown: ok === mine.length, numbers: [ok, mine.length, mine.filter((x) => x.withinFloat32Spread).length] };
  });
  const v = verdict('every runtime agrees with the float64 reference', 'depth', checks, ([ok, n, kinks]) => `${ok} of ${n} networks within DESIGN.md's tolerances${kinks ? ` (${kinks} on a float32 ReLU kink)` : ''}`);
  return v ? [v] : [];
}

/** One verdict per claim, in the order the terminal prints them. */
export function computeVerdicts(r: CompareResults): Verdict[] {
  return [
    ...depthVerdicts(r.depth.runs),
    ...mnistVerdicts(r),
    ...timeVerdicts(r.time.runs),
    ...initVerdicts(r.cures.init),
    ...clipVerdicts(r.cures.clipping),
    ...agreementVerdicts(r),
  ];
}
