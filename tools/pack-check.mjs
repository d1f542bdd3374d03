#!/usr/bin/env node
// Proves every publishable package works when installed on its own, as a user gets it:
// 1. `pnpm pack` each package (workspace:* becomes a real version), `publint --strict` and `attw` on the tarball;
// 2. `npm install` the tarballs into a fresh folder outside the workspace (peers come from the npm registry);
// 3. extract every ```ts block of each package README and run it there, exactly as written, with tsx.
// Exits non-zero on the first problem; prints "N passed, N failed" at the end like the test runner.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const only = process.argv.slice(2);
const TSX = 'tsx@4.23.15';

function packages() {
  const dirs = ['packages', 'apps'].flatMap((d) => readdirSync(join(root, d)).map((p) => join(root, d, p)));
  return dirs
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .map((dir) => ({ dir, pkg: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
    .filter(({ pkg }) => !pkg.private && (only.length === 0 || only.includes(pkg.name)));
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}

/** The README's ```ts blocks, in order: the runnable example(s). */
function examples(readme) {
  return [...readme.matchAll(/^```ts\n([\s\S]*?)^```/gm)].map((m) => m[1]);
}

const results = [];
function check(name, ok, detail) {
  results.push({ name, ok });
  console.log(`${ok ? '✓' : '✗'} ${name}${ok || !detail ? '' : `\n${detail.split('\n').slice(-25).join('\n')}`}`);
}

const pkgs = packages();
const packDir = mkdtempSync(join(tmpdir(), 'gradscope-pack-'));
const tarballs = [];
for (const { dir, pkg } of pkgs) {
  const packed = run('pnpm', ['pack', '--pack-destination', packDir], { cwd: dir });
  const tgz = join(packDir, `${pkg.name.replace('@', '').replace('/', '-')}-${pkg.version}.tgz`);
  check(`${pkg.name}: pnpm pack`, packed.ok && existsSync(tgz), packed.out);
  if (!existsSync(tgz)) continue;
  tarballs.push(tgz);
  const listing = execFileSync('tar', ['-tzf', tgz], { encoding: 'utf8' });
  check(`${pkg.name}: tarball holds dist/ and README.md, no tests`, /package\/dist\/index\.js/.test(listing) && /package\/README\.md/.test(listing) && !/\.test\.(js|ts)/.test(listing), listing);
  const manifest = run('tar', ['-xzOf', tgz, 'package/package.json']).out;
  check(`${pkg.name}: no workspace: ranges leaked`, !manifest.includes('workspace:'), manifest);
  const lint = run('npx', ['publint', 'run', tgz, '--strict'], { cwd: root });
  check(`${pkg.name}: publint --strict`, lint.ok && !/warning|error/i.test(lint.out.replace(/All good!/, '')), lint.out);
  const types = run('npx', ['attw', tgz, '--profile', 'esm-only'], { cwd: root });
  check(`${pkg.name}: attw --profile esm-only`, types.ok, types.out);
}

const app = mkdtempSync(join(tmpdir(), 'gradscope-user-'));
writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'gradscope-user', private: true, type: 'module' }, null, 2));
const install = run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs, TSX], { cwd: app });
check(`npm install of ${tarballs.length} tarballs outside the workspace`, install.ok, install.out);
if (install.ok) {
  const leak = run('grep', ['-rl', root, join(app, 'node_modules', '@gradscope')]);
  check('installed packages hold no workspace path', !leak.ok, leak.out);
  for (const { dir, pkg } of pkgs) {
    const blocks = examples(readFileSync(join(dir, 'README.md'), 'utf8'));
    check(`${pkg.name}: README has a runnable \`\`\`ts example`, blocks.length > 0);
    blocks.forEach((code, i) => {
      const file = join(app, `${pkg.name.split('/')[1]}-example-${i + 1}.ts`);
      writeFileSync(file, code);
      const ran = run('npx', ['tsx', file], { cwd: app, timeout: 300_000 });
      check(`${pkg.name}: README example ${i + 1} runs as written`, ran.ok, ran.out);
    });
  }
}
if (!process.env.KEEP) rmSync(app, { recursive: true, force: true });
rmSync(packDir, { recursive: true, force: true });
const failed = results.filter((r) => !r.ok).length;
console.log(`\n${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
