import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { fixturesDir } from './fixtures-dir.js';

// The committed fixtures are what the generator writes (to 1e-12: another BLAS may round the last bits differently).
// CI has no Python: there the check is skipped, visibly.
const python = '/usr/bin/python3';
const script = fileURLToPath(new URL('../../../../tools/goldens/make_goldens.py', import.meta.url));
const hasTorch = spawnSync(python, ['-c', 'import torch, torchvision'], { stdio: 'ignore' }).status === 0;
const title = 'tools/goldens/make_goldens.py regenerates the committed fixtures';

/** Paths where two JSON documents differ: structure exactly, numbers to 1e-12 relative. */
function differences(a: unknown, b: unknown, path: string, out: string[]): void {
  if (out.length > 5) return;
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
    const out = mkdtempSync(join(tmpdir(), 'gradscope-goldens-'));
    try {
      const run = spawnSync(python, [script, '--out', out], { encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      const files = readdirSync(fixturesDir).sort();
      expect(readdirSync(out).sort()).toEqual(files);
      const read = (dir: string, f: string): unknown => JSON.parse(readFileSync(join(dir, f), 'utf8'));
      for (const f of files) {
        const found: string[] = [];
        differences(read(out, f), read(fixturesDir, f), f, found);
        expect(found).toEqual([]);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
} else {
  it.skip(`${title} — skipped: ${python} with torch and torchvision is not installed (CI has no Python)`, () => {});
}
