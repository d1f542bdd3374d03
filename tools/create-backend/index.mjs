#!/usr/bin/env node
// Scaffolds packages/<name>: a backend with the same file shape as the existing adapters, a capability manifest that
// declares nothing yet, the conformance suite wired in, a README and a changeset. Usage: pnpm create-backend <name>
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { templates } from './templates.mjs';

export function createBackend(root, name) {
  if (!/^[a-z][a-z0-9-]*$/.test(name ?? '')) {
    throw new Error(`backend name must be lower-case letters, digits and dashes, starting with a letter (got ${JSON.stringify(name)})`);
  }
  const dir = join(root, 'packages', name);
  if (existsSync(dir)) throw new Error(`packages/${name} already exists`);
  const words = name.split('-');
  const pascal = words.map((w) => w[0].toUpperCase() + w.slice(1)).join('');
  const camel = pascal[0].toLowerCase() + pascal.slice(1);
  const core = JSON.parse(readFileSync(join(root, 'packages/core/package.json'), 'utf8'));
  const files = templates({
    name,
    pascal,
    camel,
    version: '0.0.0',
    vitest: core.devDependencies.vitest,
    typescript: core.devDependencies.typescript,
    typesNode: core.devDependencies['@types/node'],
  });
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  const tsconfig = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8'));
  tsconfig.references.push({ path: `packages/${name}` });
  writeFileSync(join(root, 'tsconfig.json'), `${JSON.stringify(tsconfig, null, 2)}\n`);
  writeFileSync(join(root, '.changeset', `add-${name}-backend.md`), `---\n'@gradscope/${name}': minor\n---\n\nNew backend package @gradscope/${name} (no capabilities declared yet).\n`);
  return { dir, files: Object.keys(files).map((f) => `packages/${name}/${f}`) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const { files } = createBackend(resolve(import.meta.dirname, '../..'), process.argv[2]);
    console.log(`created ${files.length} files:\n  ${files.join('\n  ')}\nnext: pnpm install && pnpm build && npx vitest run --project ${process.argv[2]}`);
  } catch (e) {
    console.error(`create-backend: ${e.message}`);
    process.exit(2);
  }
}
