import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DisposedError } from '../errors.js';
import { residualReport } from '../__fixtures__/reports.js';
import { createJsonlSink, FileError } from '../node.js';

const dir = mkdtempSync(join(tmpdir(), 'gradscope-jsonl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const lines = (path: string): unknown[] => readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));

describe('createJsonlSink', () => {
  it('writes one JSON object per report as it arrives', () => {
    const path = join(dir, 'run.jsonl');
    const sink = createJsonlSink(path);
    sink.onStep(residualReport(1, [0.1, 0.2]));
    expect(lines(path)).toEqual([residualReport(1, [0.1, 0.2])]);
    sink.onStep(residualReport(2, [0.3, 0.4]));
    sink.onEnd();
    expect(lines(path).map((r) => (r as { step: number }).step)).toEqual([1, 2]);
  });

  it('writes non-finite numbers as strings so every line stays valid JSON', () => {
    const path = join(dir, 'nan.jsonl');
    const sink = createJsonlSink(path);
    sink.onStep(residualReport(3, [NaN, Infinity], { loss: -Infinity }));
    sink.onEnd();
    expect(lines(path)[0]).toMatchObject({ loss: '-Infinity', blockOutputGradNorms: ['NaN', 'Infinity'] });
  });

  it('starts a new file, or appends when asked', () => {
    const path = join(dir, 'resume.jsonl');
    for (const append of [false, false, true]) {
      const sink = createJsonlSink(path, { append });
      sink.onStep(residualReport(1, [1, 1]));
      sink.onEnd();
    }
    expect(lines(path)).toHaveLength(2);
  });

  it('writes only the selected parameters', () => {
    const path = join(dir, 'select.jsonl');
    const sink = createJsonlSink(path, { select: ['head.weight'] });
    sink.onStep(residualReport(1, [1, 1]));
    sink.onEnd();
    expect(Object.keys((lines(path)[0] as { params: object }).params)).toEqual(['head.weight']);
  });

  it('names a file it cannot open', () => {
    const path = join(dir, 'missing-folder', 'run.jsonl');
    expect(() => createJsonlSink(path)).toThrow(FileError);
    expect(() => createJsonlSink(path)).toThrow(`cannot open ${path}: no such file or directory (ENOENT)`);
  });

  it('is closed by onEnd: later reports are a typed error, a second onEnd is harmless', () => {
    const sink = createJsonlSink(join(dir, 'closed.jsonl'));
    sink.onEnd();
    sink.onEnd();
    expect(() => sink.onStep(residualReport(1, [1, 1]))).toThrow(DisposedError);
  });
});
