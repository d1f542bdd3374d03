import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');

// Packs every publishable package, lints the tarballs (publint --strict, attw), installs each one alone with plain
// npm outside the workspace and runs its README examples as written (tools/pack-check.mjs).
it('every package installs on its own from its tarball and its README examples run there', () => {
  const r = spawnSync('node', ['tools/pack-check.mjs'], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
  const out = `${r.stdout}${r.stderr}`;
  const count = /^(\d+) passed, (\d+) failed$/m.exec(out);
  expect(count, out).not.toBeNull();
  expect(Number(count![2]), out).toBe(0);
  expect(Number(count![1])).toBeGreaterThanOrEqual(50);
  expect(r.status, out).toBe(0);
}, 900_000);
