#!/usr/bin/env node
// Proves every publishable package works when installed on its own, as a user gets it:
// 1. `pnpm pack` each package (workspace:* becomes a real version), `publint --strict` and `attw` on the tarball;
// 2. `npm install` each package alone (with the @gradscope packages it depends on) into a fresh folder outside the
//    workspace, its peers from the npm registry;
// 3. extract every ```ts block of its README and run it there, exactly as written, with tsx (fragments that are not
//    programs are fenced ```typescript and are not run).
// An example that needs more than its own package says so on its first line, `// npm install a b c`, as a user
// would read it; those are installed first (@gradscope ones from their tarballs). Runs every check, prints
// "N passed, N failed" at the end and exits non-zero when any failed.
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

// Each package alone: a fresh folder gets the package's tarball and the tarballs of the @gradscope packages it
// depends on (what `npm install <name>` would fetch from the registry), its peers come from the npm registry.
const tarballOf = new Map(pkgs.map(({ pkg }, i) => [pkg.name, tarballs[i]]));
function closure(name, seen = new Set()) {
  if (seen.has(name)) return seen;
  seen.add(name);
  const { pkg } = pkgs.find((p) => p.pkg.name === name);
  for (const dep of Object.keys(pkg.dependencies ?? {})) if (dep.startsWith('@gradscope/')) closure(dep, seen);
  return seen;
}
for (const { dir, pkg } of pkgs) {
  const app = mkdtempSync(join(tmpdir(), 'gradscope-user-'));
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'gradscope-user', private: true, type: 'module' }, null, 2));
  const wanted = [...closure(pkg.name)].map((n) => tarballOf.get(n));
  const install = run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...wanted, TSX], { cwd: app });
  check(`${pkg.name}: npm install alone (with ${wanted.length - 1} @gradscope dependencies) outside the workspace`, install.ok, install.out);
  if (install.ok) {
    const leak = run('grep', ['-rl', root, join(app, 'node_modules', '@gradscope')]);
    check(`${pkg.name}: installed files hold no workspace path`, !leak.ok, leak.out);
    const blocks = examples(readFileSync(join(dir, 'README.md'), 'utf8'));
    check(`${pkg.name}: README has a runnable \`\`\`ts example`, blocks.length > 0);
    blocks.forEach((code, i) => {
      const extra = /^\/\/ npm install (.+)$/m.exec(code.split('\n')[0] ?? '')?.[1]?.split(/\s+/) ?? [];
      if (extra.length) {
        const specs = extra.flatMap((name) => (tarballOf.has(name) ? [...closure(name)].map((n) => tarballOf.get(n)) : [name]));
        const more = run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...specs], { cwd: app });
        check(`${pkg.name}: example ${i + 1}'s own install line (${extra.join(' ')})`, more.ok, more.out);
      }
      const file = join(app, `example-${i + 1}.ts`);
      writeFileSync(file, code);
      const ran = run('npx', ['tsx', file], { cwd: app, timeout: 300_000 });
      check(`${pkg.name}: README example ${i + 1} runs as written`, ran.ok, ran.out);
    });
  }
  if (!process.env.KEEP) rmSync(app, { recursive: true, force: true });
}
rmSync(packDir, { recursive: true, force: true });
const failed = results.filter((r) => !r.ok).length;
console.log(`\n${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
