import type { CompareResults, DegradationRow, MnistRun } from './results.js';
import { fmt } from './tables.js';

/** Steps averaged for the final training loss (batch losses are noisy). */
const WINDOW_FRACTION = 0.2;
const MAX_WINDOW = 50;
/** The deepest net's final loss must exceed the shallowest's by this relative margin to count as worse. */
export const DEGRADATION_MARGIN = 0.05;

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Final loss: mean over the last `window` steps. */
function finalLoss(loss: readonly number[], window: number): number {
  return loss.length === 0 ? NaN : mean(loss.slice(-window));
}

/**
 * He et al.'s degradation test on the MNIST runs: per backend and architecture, the final training loss by depth,
 * and whether the deepest net ends worse than the shallowest; then one sentence per backend with the numbers.
 */
export function degradationSummary(runs: readonly MnistRun[]): CompareResults['mnist']['degradation'] {
  const steps = Math.max(0, ...runs.map((r) => r.loss.length));
  const window = Math.max(1, Math.min(MAX_WINDOW, Math.round(steps * WINDOW_FRACTION)));
  const rows: DegradationRow[] = [];
  for (const backend of [...new Set(runs.map((r) => r.backend))]) {
    for (const architecture of ['plain', 'residual'] as const) {
      const mine = runs.filter((r) => r.backend === backend && r.architecture === architecture && r.loss.length > 0).sort((a, b) => a.depth - b.depth);
      if (mine.length < 2) continue;
      const losses = mine.map((r) => finalLoss(r.loss, window));
      rows.push({
        backend,
        architecture,
        depths: mine.map((r) => r.depth),
        finalLoss: losses,
        finalTestError: mine.map((r) => r.test[r.test.length - 1]?.error ?? NaN),
        worseWithDepth: losses[losses.length - 1]! > losses[0]! * (1 + DEGRADATION_MARGIN),
      });
    }
  }
  const verdicts = [...new Set(rows.map((r) => r.backend))].flatMap((backend) => {
    const plain = rows.find((r) => r.backend === backend && r.architecture === 'plain');
    const residual = rows.find((r) => r.backend === backend && r.architecture === 'residual');
    if (!plain || !residual) return [];
    const numbers = (r: DegradationRow): string => r.depths.map((d, i) => `${d}: ${fmt(r.finalLoss[i])}`).join(', ');
    const ends = (r: DegradationRow): string => {
      const [first, last] = [r.finalLoss[0]!, r.finalLoss[r.finalLoss.length - 1]!];
      const change = Math.round(((last - first) / first) * 100);
      return `${r.depths[r.depths.length - 1]} vs ${r.depths[0]} layers: ${fmt(last)} vs ${fmt(first)}, ${change >= 0 ? '+' : ''}${change}%`;
    };
    const shown = plain.worseWithDepth && !residual.worseWithDepth;
    const head = shown
      ? `${backend}: degradation shown — the deepest plain net ends with a higher training loss than the shallowest (${ends(plain)}) while the deepest residual net does not (${ends(residual)})`
      : `${backend}: degradation not shown under this budget — the deepest plain net ${plain.worseWithDepth ? 'ends worse' : 'does not end worse'} than the shallowest (${ends(plain)}), the deepest residual net ${residual.worseWithDepth ? 'ends worse' : 'does not end worse'} (${ends(residual)})`;
    return [{ backend, text: `${head}; mean loss of the last ${window} steps by depth: plain ${numbers(plain)}; residual ${numbers(residual)}.` }];
  });
  return { window, margin: DEGRADATION_MARGIN, rows, verdicts };
}
