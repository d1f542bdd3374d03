import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { fixtureDifferences } from './fixture-diff.js';
import { fixturesDir } from './fixtures-dir.js';

// The committed fixtures are what the generator writes, each tensor to 1e-10 of its largest value (another BLAS rounds
// the last bits differently). Without PyTorch the check is skipped, visibly.
const python = '/usr/bin/python3';
const script = fileURLToPath(new URL('../../../../tools/goldens/make_goldens.py', import.meta.url));
const hasTorch = spawnSync(python, ['-c', 'import torch, torchvision'], { stdio: 'ignore' }).status === 0;
const title = 'tools/goldens/make_goldens.py regenerates the committed fixtures';

if (hasTorch) {
  it(title, () => {
    const out = mkdtempSync(join(tmpdir(), 'gradscope-goldens-'));
    try {
      const run = spawnSync(python, [script, '--out', out], { encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      const files = readdirSync(fixturesDir).sort();
      expect(readdirSync(out).sort()).toEqual(files);
      const read = (dir: string, f: string): unknown => JSON.parse(readFileSync(join(dir, f), 'utf8'));
      for (const f of files) {
        expect(fixtureDifferences(read(out, f), read(fixturesDir, f)), f).toEqual([]);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
} else {
  it.skip(`${title} — skipped: ${python} with torch and torchvision is not installed (CI has no Python)`, () => {});
}
