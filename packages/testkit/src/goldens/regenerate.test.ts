import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fixtureDifferences } from './fixture-diff.js';
import { fixturesDir } from './fixtures-dir.js';

// Every committed PyTorch fixture is what tools/torch/make_fixtures.py writes today: structure and strings exactly,
// each tensor to 1e-10 of its largest value (fixtureDifferences; another BLAS rounds the last bits differently).
// Without PyTorch the check is skipped, visibly.
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

describe('tools/torch/make_fixtures.py regenerates the committed fixtures', () => {
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
          expect(fixtureDifferences(JSON.parse(fresh.toString('utf8')), JSON.parse(kept.toString('utf8'))), f).toEqual([]);
        }
        if (committed === fixturesDir) expect(readdirSync(out).sort()).toEqual(readdirSync(fixturesDir).sort());
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    });
  }
});
