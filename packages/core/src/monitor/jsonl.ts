import type { GradientReport } from '../report.js';

/**
 * One report as one line of JSON. Non-finite numbers become the strings "NaN", "Infinity" and "-Infinity", so the
 * line stays valid JSON and an exploding run stays visible. `createJsonlSink` (`@gradscope/core/node`) writes these.
 */
export function reportToJsonLine(report: GradientReport): string {
  return JSON.stringify(report, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? String(value) : value));
}
