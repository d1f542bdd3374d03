import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GradscopeError } from '@gradscope/core';
import { systemReason } from '../cli-errors.js';
import type { CompareResults } from '../compare/results.js';
import { stringifyJson } from '../io.js';
import { renderReportHtml } from './html.js';

/** The report folder cannot be created or written. */
export class ReportWriteError extends GradscopeError {
  constructor(message: string) {
    super('REPORT_WRITE', message);
  }
}

/** Fails fast (before a long run) when the report folder cannot be created or written. */
export async function assertReportDirWritable(outDir: string): Promise<void> {
  const probe = join(outDir, `.gradscope-write-test-${process.pid}`);
  try {
    await mkdir(outDir, { recursive: true });
    await writeFile(probe, '');
    await rm(probe, { force: true });
  } catch (err) {
    throw new ReportWriteError(`cannot write the report into "${outDir}": ${systemReason(err)}`);
  }
}

export interface ReportFiles {
  html: string;
  json: string;
}

/**
 * Writes `index.html` and `results.json` into `outDir` without ever leaving a half-written file: both are
 * rendered and written to temporary names first, then renamed over the old ones (rename is atomic on one file system).
 * If anything fails before the renames, the previous report is untouched and the temporary files are removed.
 */
export async function writeReport(results: CompareResults, outDir: string): Promise<ReportFiles> {
  const files: ReportFiles = { html: join(outDir, 'index.html'), json: join(outDir, 'results.json') };
  const suffix = `.tmp-${process.pid}-${Date.now()}`;
  const staged = { html: files.html + suffix, json: files.json + suffix };
  try {
    await mkdir(outDir, { recursive: true });
  } catch (err) {
    throw new ReportWriteError(`cannot create report folder "${outDir}": ${systemReason(err)}`);
  }
  try {
    await writeFile(staged.json, `${stringifyJson(results, 2)}\n`);
    await writeFile(staged.html, renderReportHtml(results));
    await rename(staged.json, files.json);
    await rename(staged.html, files.html);
  } catch (err) {
    await Promise.all([rm(staged.json, { force: true }), rm(staged.html, { force: true })]);
    if (err instanceof GradscopeError) throw err;
    throw new ReportWriteError(`cannot write the report into "${outDir}": ${systemReason(err)}`);
  }
  return files;
}
