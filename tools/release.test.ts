import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const changeset = join(root, 'node_modules/.bin/changeset');
const copy = mkdtempSync(join(tmpdir(), 'gradscope-release-'));
afterAll(() => rmSync(copy, { recursive: true, force: true }));

const manifest = (dir: string): { name: string; version: string; dependencies?: Record<string, string> } =>
  JSON.parse(readFileSync(join(copy, dir, 'package.json'), 'utf8'));

describe('releasing with changesets', () => {
  it('`changeset version` bumps every @gradscope package together and writes their changelogs', () => {
    const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean);
    for (const f of files) if (existsSync(join(root, f)) && !f.startsWith('node_modules')) cpSync(join(root, f), join(copy, f));
    const pending = readdirSync(join(copy, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md');
    expect(pending.length).toBeGreaterThan(0);
    const dirs = ['packages/core', 'packages/testkit', 'packages/tfjs', 'packages/onnx', 'packages/brain', 'apps/compare'];
    const before = manifest('packages/core').version;

    const r = spawnSync(changeset, ['version'], { cwd: copy, encoding: 'utf8' });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);

    // One fixed group: every package moves to the same next minor version (pre-1.0 minor for new features).
    const [major, minor] = before.split('.').map(Number);
    const next = `${major}.${minor! + 1}.0`;
    for (const dir of dirs) {
      expect(manifest(dir).version, dir).toBe(next);
      expect(readFileSync(join(copy, dir, 'CHANGELOG.md'), 'utf8'), dir).toMatch(new RegExp(`^## ${next.replace(/\./g, '\\.')}$`, 'm'));
    }
    // workspace:* dependents stay workspace:* (pnpm writes the real version into the tarball when publishing).
    expect(manifest('packages/tfjs').dependencies!['@gradscope/core']).toBe('workspace:*');
    expect(readFileSync(join(copy, 'packages/core/CHANGELOG.md'), 'utf8')).toContain('First release of the contract');
    expect(readdirSync(join(copy, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md')).toEqual([]);
  });
});
