import type { GradientMonitor, GradientReport } from '@gradscope/core';
import { range, sample, sparkline } from './sparkline.js';

const WIDTH = 40;

/** One line per monitored step: loss, global gradient norm, and a sparkline of the per-block or per-timestep norms. */
export function summaryLine(report: GradientReport, totalSteps: number): string {
  const step = String(report.step).padStart(String(totalSteps).length);
  const head = `step ${step}/${totalSteps}  loss ${report.loss.toPrecision(4)}  |g| ${report.gradNorm.toExponential(1).replace('+', '')}`;
  const clipped = report.clipCoef < 1 ? ` (clipped x${report.clipCoef.toFixed(2)})` : '';
  const series = report.blockOutputGradNorms
    ? { label: 'blocks 0→last', values: report.blockOutputGradNorms }
    : report.hiddenGradNorms
      ? { label: 'h_t 0→T-1', values: report.hiddenGradNorms[report.hiddenGradNorms.length - 1] ?? [] }
      : undefined;
  if (!series || series.values.length === 0) return head + clipped;
  return `${head}${clipped}  ${series.label} ${sparkline(sample(series.values, WIDTH))} ${range(series.values)}`;
}

/** A monitor that prints `summaryLine` for each report it is given. */
export function createSummaryMonitor(totalSteps: number, print: (line: string) => void): GradientMonitor {
  return { onStep: (report) => print(summaryLine(report, totalSteps)) };
}
