import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

// The committed PyTorch fixture is what its generator writes today. CI has no Python: there the check is skipped, visibly.
const python = '/usr/bin/python3';
const script = fileURLToPath(new URL('../../../tools/torch/make_semantics_fixtures.py', import.meta.url));
const committed = fileURLToPath(new URL('./__fixtures__/torch-semantics.json', import.meta.url));
const hasTorch = spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const title = 'tools/torch/make_semantics_fixtures.py regenerates the committed torch-semantics.json';

/** Paths where two JSON documents differ (the first few): structure exactly, numbers to 1e-12 relative. */
function differences(a: unknown, b: unknown, path: string, out: string[]): void {
  if (out.length >= 5) return;
  if (typeof a === 'number' && typeof b === 'number') {
    if (!(Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b)))) out.push(`${path}: ${a} vs ${b}`);
  } else if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((v, i) => differences(v, b[i], `${path}[${i}]`, out));
  } else if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = Object.keys(a);
    if (keys.join() !== Object.keys(b).join()) out.push(`${path}: keys ${keys.join()} vs ${Object.keys(b).join()}`);
    else for (const k of keys) differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`, out);
  } else if (a !== b) out.push(`${path}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
}

if (hasTorch) {
  it(title, () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradscope-semantics-'));
    try {
      const out = join(dir, 'torch-semantics.json');
      const run = spawnSync(python, [script, '--out', out], { encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      // Same structure; numbers to 1e-12 relative (another CPU's vectorized norms may round the last bits differently).
      const found: string[] = [];
      differences(JSON.parse(readFileSync(out, 'utf8')), JSON.parse(readFileSync(committed, 'utf8')), '', found);
      expect(found).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
} else {
  it.skip(`${title} (skipped: ${python} with torch is not installed; CI uses the committed fixture)`, () => {});
}
