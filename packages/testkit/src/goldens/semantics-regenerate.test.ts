import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { fixtureDifferences } from './fixture-diff.js';

// core's committed PyTorch semantics fixture is what its generator writes today, each tensor to 1e-10 of its largest
// value. It lives here because core cannot depend on testkit. Without PyTorch the check is skipped, visibly.
const python = '/usr/bin/python3';
const script = fileURLToPath(new URL('../../../../tools/torch/make_semantics_fixtures.py', import.meta.url));
const committed = fileURLToPath(new URL('../../../core/src/__fixtures__/torch-semantics.json', import.meta.url));
const hasTorch = spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const title = 'tools/torch/make_semantics_fixtures.py regenerates the committed torch-semantics.json';

if (hasTorch) {
  it(title, () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradscope-semantics-'));
    try {
      const out = join(dir, 'torch-semantics.json');
      const run = spawnSync(python, [script, '--out', out], { encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      expect(fixtureDifferences(JSON.parse(readFileSync(out, 'utf8')), JSON.parse(readFileSync(committed, 'utf8')))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
} else {
  it.skip(`${title} (skipped: ${python} with torch is not installed; CI uses the committed fixture)`, () => {});
}
