import { join } from 'node:path';
import { GradscopeError } from '@gradscope/core';
import { FileError, prepareOutputDirectory, writeFilesAtomic } from '@gradscope/core/node';
import type { CompareResults } from '../compare/results.js';
import { stringifyJson } from '../io.js';
import { renderReportHtml } from './html.js';

/** The report folder cannot be created or written. */
export class ReportWriteError extends GradscopeError {
  constructor(message: string) {
    super('REPORT_WRITE', message);
  }
}

function asReportError(err: unknown, outDir: string): unknown {
  return err instanceof FileError ? new ReportWriteError(`cannot write the report into "${outDir}": ${err.message}`) : err;
}

/** Fails fast (before a long run) when the report folder cannot be created or written, or is a symbolic link. */
export async function assertReportDirWritable(outDir: string): Promise<void> {
  try {
    await prepareOutputDirectory(outDir);
  } catch (err) {
    throw asReportError(err, outDir);
  }
}

export interface ReportFiles {
  html: string;
  json: string;
}

/**
 * Writes `index.html` and `results.json` into `outDir` with core's atomic writer: both are rendered first, staged
 * under temporary names, then renamed over the old ones, so a failure leaves the previous report as it was. A
 * symbolic link at either name is refused.
 */
export async function writeReport(results: CompareResults, outDir: string): Promise<ReportFiles> {
  const files: ReportFiles = { html: join(outDir, 'index.html'), json: join(outDir, 'results.json') };
  const html = renderReportHtml(results);
  try {
    await prepareOutputDirectory(outDir);
    await writeFilesAtomic([
      { path: files.json, data: `${stringifyJson(results, 2)}\n` },
      { path: files.html, data: html },
    ]);
  } catch (err) {
    throw asReportError(err, outDir);
  }
  return files;
}
