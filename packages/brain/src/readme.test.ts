import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

it('the README example runs against the built package and training lowers the loss', () => {
  expect(existsSync(`${packageDir}/dist/index.js`), 'build the package first (pnpm build)').toBe(true);
  const readme = readFileSync(`${packageDir}/README.md`, 'utf8');
  const block = /## Example\s+```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(block, 'README has an ```ts block under ## Example').toBeDefined();
  // The block is plain JavaScript apart from the fence, so Node runs it as an ES module inside the package.
  const file = `${packageDir}/.readme-example.mjs`;
  writeFileSync(file, block!);
  try {
    const out = execFileSync(process.execPath, [file], { cwd: packageDir, encoding: 'utf8' });
    const before = Number(/^loss (\S+)/m.exec(out)?.[1]);
    const after = Number(/^after 50 steps (\S+)/m.exec(out)?.[1]);
    expect(out).toMatch(/^\|\|dL\/dh_t\|\| (\S+ ){3}\S+$/m);
    expect(after).toBeLessThan(before / 10);
  } finally {
    rmSync(file, { force: true });
  }
});
