import { closeSync, openSync, writeSync } from 'node:fs';
import { DisposedError } from '../errors.js';
import type { GradientReport } from '../report.js';
import { selectParams, type GradientMonitor, type ParamSelector } from './monitor.js';

export interface JsonlSinkOptions {
  /** Append to an existing file (e.g. when resuming) instead of starting a new one. */
  readonly append?: boolean;
  /** Write per-parameter stats only for these parameters (names or a RegExp). */
  readonly select?: ParamSelector;
}

export interface JsonlSink extends GradientMonitor {
  readonly path: string;
  onEnd(): void;
}

/**
 * Writes each report as one JSON object per line, as it arrives (a crash loses nothing already seen).
 * Non-finite numbers become the strings "NaN", "Infinity" and "-Infinity", so every line stays valid JSON and
 * an exploding run stays visible. The file is closed by `onEnd` (which `train()` calls).
 */
export function createJsonlSink(path: string, options: JsonlSinkOptions = {}): JsonlSink {
  let fd: number | undefined = openSync(path, options.append ? 'a' : 'w');
  return {
    path,
    onStep(report) {
      if (fd === undefined) throw new DisposedError(`JSON-lines sink ${path} (closed by onEnd)`);
      writeSync(fd, `${reportToJsonLine(selectParams(report, options.select))}\n`);
    },
    onEnd() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}

/** One report as a JSON line, with non-finite numbers as strings. */
export function reportToJsonLine(report: GradientReport): string {
  return JSON.stringify(report, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? String(value) : value));
}
