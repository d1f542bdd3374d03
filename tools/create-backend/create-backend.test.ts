import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error -- plain ESM tool script without type declarations
import { createBackend } from './index.mjs';

const root = resolve(import.meta.dirname, '../..');
const copy = mkdtempSync(join(tmpdir(), 'gradscope-generator-'));
afterAll(() => rmSync(copy, { recursive: true, force: true }), 120_000);

function run(cmd: string, args: string[]): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { cwd: copy, encoding: 'utf8', env: { ...process.env, NX_DAEMON: 'false', CI: 'true' }, maxBuffer: 64 << 20 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('pnpm create-backend', () => {
  it('rejects a bad name and an existing package with a clear message', () => {
    expect(() => createBackend(root, 'Bad_Name')).toThrow(/lower-case letters, digits and dashes/);
    expect(() => createBackend(root, 'core')).toThrow('packages/core already exists');
  });

  it('scaffolds a backend that builds and runs its conformance suite, in a copy of the repo', () => {
    // Copy the working tree as git sees it (tracked and untracked-but-not-ignored files), without node_modules.
    const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean);
    for (const f of files) if (existsSync(join(root, f))) cpSync(join(root, f), join(copy, f), { recursive: true });
    expect(dirname(copy)).not.toBe(root);

    const { files: created } = createBackend(copy, 'sample-runtime') as { files: string[] };
    for (const name of ['backend.ts', 'supports.ts', 'model.ts', 'residual.ts', 'recurrent.ts', 'params.ts', 'index.ts', 'conformance.test.ts']) {
      expect(created).toContain(`packages/sample-runtime/src/${name}`);
    }
    expect(readFileSync(join(copy, '.changeset/add-sample-runtime-backend.md'), 'utf8')).toContain("'@gradscope/sample-runtime': minor");

    const install = run('pnpm', ['install', '--offline', '--no-frozen-lockfile']);
    expect(install.status, install.out).toBe(0);
    const build = run('pnpm', ['exec', 'nx', 'run-many', '-t', 'build', '-p', '@gradscope/sample-runtime', '--outputStyle=static']);
    expect(build.status, build.out).toBe(0);
    expect(existsSync(join(copy, 'packages/sample-runtime/dist/index.d.ts'))).toBe(true);

    const test = run('pnpm', ['exec', 'vitest', 'run', '--project', 'sample-runtime', '--reporter=verbose']);
    expect(test.status, test.out).toBe(0);
    // Nothing is declared, so the numeric sections are reported as skipped, each with its reason.
    expect(test.out).toMatch(/sample-runtime conformance/);
    expect(test.out).toMatch(/residual relu goldens — skipped: backend does not declare residual variant/);
    expect(test.out).toMatch(/lstm goldens — skipped: backend does not declare cell "lstm"/);
    expect(test.out).not.toMatch(/\b[1-9]\d* failed/);
  });
});
