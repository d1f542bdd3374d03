import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { asCompareResults } from './report.js';

// Issue #19 item 6: results.json is validated on load; every wrong field is named by its JSON path.
const committed = fileURLToPath(new URL('../__fixtures__/results-0.1.0-mnist-full.json', import.meta.url));
const valid = (): Record<string, unknown> => JSON.parse(readFileSync(committed, 'utf8')) as Record<string, unknown>;

function problem(edit: (r: Record<string, unknown>) => void): string {
  const r = valid();
  edit(r);
  try {
    asCompareResults(r, 'sent/results.json');
  } catch (e) {
    return (e as Error).message;
  }
  return 'accepted';
}

describe('asCompareResults', () => {
  it('accepts a run written by 0.1.0', () => {
    expect(problem(() => undefined)).toBe('accepted');
  });

  it.each(['full', 'time-full', 'time-full-tfjs-brain', 'time-full-tfjs-brain-t100'])('accepts the committed docs/reports/%s run, with its verdicts', (folder) => {
    const file = fileURLToPath(new URL(`../../../../docs/reports/${folder}/results.json`, import.meta.url));
    const results = asCompareResults(JSON.parse(readFileSync(file, 'utf8')), file);
    expect(results.suite.name).toBe('full');
    expect(results.verdicts.some((v) => /^gates carry the gradient across T = (100|200) /.test(v.claim) && v.shown)).toBe(true);
  });

  it.each([
    ['seed with markup', (r: Record<string, unknown>) => (r['seed'] = '<script>alert(1)</script>'), 'seed: expected number, got "<script>alert(1)</script>"'],
    ['a non-string startedAt (was: text.replace is not a function)', (r: Record<string, unknown>) => (r['startedAt'] = 5), 'startedAt: expected string, got 5'],
    ['a backend name that is an object', (r: Record<string, unknown>) => ((r['backends'] as { name: unknown }[])[0]!.name = { x: 1 }), 'backends[0].name: expected string, got {"x":1}'],
    ['a loss that is a string', (r: Record<string, unknown>) => (((r['mnist'] as { runs: { loss: unknown[] }[] }).runs[0]!.loss[3] = 'lots')), 'mnist.runs[0].loss[3]:'],
    ['a missing machine', (r: Record<string, unknown>) => delete r['machine'], 'machine: required object is missing'],
  ])('refuses %s, naming the field', (_, edit, message) => {
    const got = problem(edit);
    expect(got.startsWith('"sent/results.json" is not a gradscope compare results.json: ')).toBe(true);
    expect(got).toContain(message);
  });

  it('reads non-finite numbers as stringifyJson wrote them', () => {
    const r = valid();
    (r['mnist'] as { runs: { loss: unknown[] }[] }).runs[0]!.loss[0] = 'NaN';
    (r['mnist'] as { runs: { loss: unknown[] }[] }).runs[0]!.loss[1] = '-Infinity';
    const results = asCompareResults(r, 'r.json');
    expect(results.mnist.runs[0]!.loss.slice(0, 2)).toEqual([NaN, -Infinity]);
  });
});
