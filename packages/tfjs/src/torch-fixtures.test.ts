import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixtureDifferences } from '@gradscope/testkit';
import { describe, expect, it } from 'vitest';

// The committed PyTorch fixtures are what their generators write today, each tensor to 1e-10 of its largest value.
// Without PyTorch the check is skipped, visibly.
const python = '/usr/bin/python3';
const hasTorch = spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

describe.each([
  ['make-torch-fixtures.py', 'torch-cases.json'],
  ['make-torch-training-fixtures.py', 'torch-training.json'],
])('scripts/%s', (script, fixture) => {
  const title = `regenerates the committed src/__fixtures__/${fixture}`;
  if (!hasTorch) {
    it.skip(`${title} (skipped: ${python} with torch is not installed; the tests use the committed fixture)`, () => {});
    return;
  }
  it(title, () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradscope-tfjs-fixtures-'));
    try {
      const out = join(dir, fixture);
      const run = spawnSync(python, [fileURLToPath(new URL(`../scripts/${script}`, import.meta.url)), '--out', out], { encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      const committed: unknown = JSON.parse(readFileSync(new URL(`./__fixtures__/${fixture}`, import.meta.url), 'utf8'));
      expect(fixtureDifferences(JSON.parse(readFileSync(out, 'utf8')), committed, { ignore: ['$.generatedBy'] })).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
