import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';
import { expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

// The README's example, run as written against the built package (`pnpm build` first), in a folder inside the
// package so that `@gradscope/tfjs` resolves to this package itself.
it('README example runs against the built package: trains, prints per-block norms, saves the model', async () => {
  const readme = await readFile(join(packageDir, 'README.md'), 'utf8');
  const source = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(source, 'README has a ```ts block').toBeDefined();
  const js = ts.transpileModule(source!, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 } }).outputText;
  const dir = await mkdtemp(join(packageDir, '.readme-run-'));
  try {
    await writeFile(join(dir, 'example.mjs'), js);
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['example.mjs'], { cwd: dir });
    expect(stderr).toBe('');
    const lines = stdout.split('\n').filter((l) => l.startsWith('step '));
    expect(lines).toHaveLength(4);
    expect(lines[3]).toMatch(/^step 400 loss \d\.\d{3} \|dL\/d block output\|( \d\.\de[-+]\d+){8}$/);
    expect(stdout).toMatch(/completed at step 400, last loss \d\.\d{3}/);
    expect(existsSync(join(dir, 'spirals-model', 'model.json'))).toBe(true);
    expect(existsSync(join(dir, 'spirals-model', 'weights.bin'))).toBe(true);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 60_000);
