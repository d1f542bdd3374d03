import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { CompareResults } from '../compare/results.js';

// Simulates the disk filling up while the new report is being written: the write of any path that matches fails.
const failing = vi.hoisted(() => ({ pattern: null as RegExp | null }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...fs,
    writeFile: (async (path: string, ...rest: unknown[]) => {
      if (failing.pattern?.test(String(path))) throw Object.assign(new Error('ENOSPC'), { code: 'ENOSPC', path });
      return (fs.writeFile as (...a: unknown[]) => Promise<void>)(path, ...rest);
    }) as typeof fs.writeFile,
  };
});

const { writeReport, ReportWriteError } = await import('./write.js');
const { suites } = await import('../compare/suites.js');

function emptyResults(seed: number): CompareResults {
  return {
    gradscopeCompareVersion: 'test',
    suite: suites.smoke,
    experiments: [],
    seed,
    startedAt: new Date(0).toISOString(),
    durationMs: 1,
    machine: { os: 'x', arch: 'x', cpuModel: 'x', cores: 1, node: 'v20' },
    backends: [],
    depth: { runs: [] },
    time: { baselineMse: 1 / 6, runs: [] },
    mnist: { runs: [], degradation: { window: 1, margin: 0.05, rows: [], verdicts: [] } },
    cures: { init: [], clipping: [] },
    agreement: { tolerances: { output: 1e-5, grads: 1e-4, norms: 1e-3 }, rows: [] },
    verdicts: [],
    workers: 1,
    speed: { rows: [] },
    skipped: [],
  };
}

describe('writing the report', () => {
  it('leaves the previous report intact, and no temporary files, when writing fails halfway', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradscope-report-'));
    await writeReport(emptyResults(1), dir);
    const before = { html: readFileSync(join(dir, 'index.html'), 'utf8'), json: readFileSync(join(dir, 'results.json'), 'utf8') };
    expect(JSON.parse(before.json).seed).toBe(1);

    failing.pattern = /index\.html\.tmp-/; // results.json's new version is already on disk when this fails
    try {
      await expect(writeReport(emptyResults(2), dir)).rejects.toThrow(ReportWriteError);
      await expect(writeReport(emptyResults(2), dir)).rejects.toThrow(`cannot write the report into "${dir}": no space left on device`);
    } finally {
      failing.pattern = null;
    }
    expect(readFileSync(join(dir, 'index.html'), 'utf8')).toBe(before.html);
    expect(readFileSync(join(dir, 'results.json'), 'utf8')).toBe(before.json);
    expect(readdirSync(dir).sort()).toEqual(['index.html', 'results.json']);

    await writeReport(emptyResults(3), dir);
    expect(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')).seed).toBe(3);
  });

  it('writes into a folder it creates', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'gradscope-report-')), 'nested', 'report');
    const files = await writeReport(emptyResults(4), dir);
    expect(readFileSync(files.html, 'utf8')).toMatch(/^<!doctype html>/);
    writeFileSync(join(dir, 'keep.txt'), 'x');
    await writeReport(emptyResults(5), dir);
    expect(readdirSync(dir).sort()).toEqual(['index.html', 'keep.txt', 'results.json']);
  });
});
