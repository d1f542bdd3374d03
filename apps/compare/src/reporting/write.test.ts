import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CompareResults } from '../compare/results.js';
import { suites } from '../compare/suites.js';
import { ReportWriteError, writeReport } from './write.js';

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
  // Staging and renaming both files atomically (old report intact on failure) is core's writeFilesAtomic, tested there.
  it.each(['index.html', 'results.json'])('refuses a symbolic link planted as %s and leaves the old report as it was', async (name) => {
    const dir = mkdtempSync(join(tmpdir(), 'gradscope-report-'));
    await writeReport(emptyResults(1), dir);
    const other = name === 'index.html' ? 'results.json' : 'index.html';
    const before = readFileSync(join(dir, other), 'utf8');
    const victim = join(mkdtempSync(join(tmpdir(), 'gradscope-victim-')), 'victim.txt');
    writeFileSync(victim, 'precious');
    rmSync(join(dir, name));
    symlinkSync(victim, join(dir, name));
    const e = await writeReport(emptyResults(2), dir).then(() => undefined, (err: unknown) => err);
    expect(e).toBeInstanceOf(ReportWriteError);
    expect((e as Error).message).toBe(`cannot write the report into "${dir}": refusing to write ${join(dir, name)}: it is a symbolic link (give the path of the file itself)`);
    expect(readFileSync(victim, 'utf8')).toBe('precious');
    expect(readlinkSync(join(dir, name))).toBe(victim);
    expect(readFileSync(join(dir, other), 'utf8')).toBe(before);
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
