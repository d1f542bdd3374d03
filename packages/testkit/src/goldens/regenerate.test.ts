import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fixturesDir } from './fixtures-dir.js';

// Every committed PyTorch fixture is what tools/torch/make_fixtures.py writes today. CI has no Python: there the
// check is skipped, visibly.
const python = '/usr/bin/python3';
const script = fileURLToPath(new URL('../../../../tools/torch/make_fixtures.py', import.meta.url));
const coreFixtures = fileURLToPath(new URL('../../../core/src/__fixtures__', import.meta.url));
const hasTorch = spawnSync(python, ['-c', 'import torch, torchvision'], { stdio: 'ignore' }).status === 0;

/** The fixture sets and the committed folder each writes into (binary files are compared byte for byte). */
const sets: [string, string][] = [
  ['goldens', fixturesDir],
  ['semantics', coreFixtures],
  ['core', coreFixtures],
  ['conv', coreFixtures],
];

const isNumbers = (v: unknown): v is number[] => Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number');

/**
 * Paths where two JSON documents differ (the first few): structure and strings exactly; numbers as the conformance
 * suite compares tensors, max |Δ| / max |ref| per array, to 1e-12 — another BLAS rounds the last bits differently,
 * and an analytically zero gradient (3e-16 beside 0.03) is noise at the scale of its tensor, not an error.
 */
function differences(a: unknown, b: unknown, path: string, out: string[]): void {
  if (out.length >= 5) return;
  if (typeof a === 'number' && typeof b === 'number') {
    if (!(Math.abs(a - b) <= 1e-12 * Math.abs(b))) out.push(`${path}: ${a} vs ${b}`);
  } else if (isNumbers(a) && isNumbers(b) && a.length === b.length) {
    const scale = Math.max(...b.map(Math.abs));
    const delta = Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
    if (!(delta <= 1e-12 * scale)) out.push(`${path}: max |Δ| ${delta} over max |ref| ${scale}`);
  } else if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((v, i) => differences(v, b[i], `${path}[${i}]`, out));
  } else if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = Object.keys(a);
    if (keys.join() !== Object.keys(b).join()) out.push(`${path}: keys ${keys.join()} vs ${Object.keys(b).join()}`);
    else for (const k of keys) differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`, out);
  } else if (a !== b) out.push(`${path}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
}

describe('tools/torch/make_fixtures.py regenerates the committed fixtures', () => {
  it('compares tensors relative to their largest value, not element by element', () => {
    const found: string[] = [];
    differences({ g: [0.03, 3e-16] }, { g: [0.03, 0] }, '', found);
    expect(found).toEqual([]);
    differences({ g: [0.03, 1e-9] }, { g: [0.03, 0] }, '', found);
    expect(found).toEqual(['.g: max |Δ| 1e-9 over max |ref| 0.03']);
  });

  for (const [set, committed] of sets) {
    const title = `${set} (into ${committed.split('/packages/')[1]})`;
    if (!hasTorch) {
      it.skip(`${title} — skipped: ${python} with torch and torchvision is not installed (CI has no Python)`, () => {});
      continue;
    }
    it(title, () => {
      const out = mkdtempSync(join(tmpdir(), `gradscope-${set}-`));
      try {
        const run = spawnSync(python, [script, set, '--out', out], { encoding: 'utf8' });
        expect(run.status, run.stderr).toBe(0);
        for (const f of readdirSync(out).sort()) {
          const fresh = readFileSync(join(out, f));
          const kept = readFileSync(join(committed, f));
          if (!f.endsWith('.json')) {
            expect(fresh.equals(kept), `${f} differs`).toBe(true);
            continue;
          }
          const found: string[] = [];
          differences(JSON.parse(fresh.toString('utf8')), JSON.parse(kept.toString('utf8')), f, found);
          expect(found).toEqual([]);
        }
        if (committed === fixturesDir) expect(readdirSync(out).sort()).toEqual(readdirSync(fixturesDir).sort());
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    });
  }
});
