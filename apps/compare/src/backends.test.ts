import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { backendRegistry, createBackend, findBackendEntry } from './backends.js';
import { UsageError } from './cli-errors.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const readJson = (path: string): Record<string, unknown> => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;

/** Workspace packages under packages/ that are not core or the testkit: the backend adapters. */
function adapterPackages(): string[] {
  const dir = join(repoRoot, 'packages');
  return readdirSync(dir)
    .filter((d) => existsSync(join(dir, d, 'package.json')))
    .map((d) => readJson(join(dir, d, 'package.json'))['name'] as string)
    .filter((name) => name !== '@gradscope/core' && name !== '@gradscope/testkit');
}

describe('backend registry', () => {
  it('lists every adapter package of the workspace, and the reference first', () => {
    const registered = new Set(backendRegistry.map((b) => b.packageName));
    const adapters = adapterPackages();
    expect(adapters.length).toBeGreaterThan(0);
    for (const pkg of adapters) expect(registered, `${pkg} is missing from src/backends.ts`).toContain(pkg);
    expect(backendRegistry[0]).toMatchObject({ name: 'reference', packageName: '@gradscope/testkit' });
  });

  it('names only packages this app depends on, each name once', () => {
    const deps = readJson(join(repoRoot, 'apps', 'compare', 'package.json'))['dependencies'] as Record<string, string>;
    for (const entry of backendRegistry) expect(deps, `apps/compare/package.json lacks ${entry.packageName}`).toHaveProperty(entry.packageName);
    const names = backendRegistry.map((b) => b.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('rejects an unknown backend name with the list of known ones', async () => {
    expect(() => findBackendEntry('pytorch')).toThrow(UsageError);
    await expect(createBackend('pytorch')).rejects.toThrow(/unknown backend "pytorch" \(expected one of reference\|tfjs\|onnx\|brain/);
  });

  it('creates the reference backend under its registry name', async () => {
    const backend = await createBackend('reference');
    try {
      expect(backend.name).toBe('reference');
      expect(backend.supports.semantics).toBe('pytorch');
    } finally {
      await backend.dispose();
    }
  });
});

describe('a runtime that cannot run here', () => {
  it('is an unavailable backend naming why, so the default run skips it instead of failing', async () => {
    const { BackendUnavailableError } = await import('./backends.js');
    const err = await createBackend('tfjs', { backend: 'webgpu' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect((err as Error).message).toMatch(/^backend "tfjs" is not available: tfjs backend does not support device "webgpu"/);
  });
});

describe('onnx-node', () => {
  it('creates the onnx backend on onnxruntime-node, and the default compare run leaves it out', async () => {
    const backend = await createBackend('onnx-node');
    expect(backend.runtime).toMatchObject({ name: 'onnxruntime-node', device: 'node' });
    await backend.dispose();
    const { defaultBackends } = await import('./compare/compare.js');
    const { suites } = await import('./compare/suites.js');
    expect(await defaultBackends()).toEqual(['tfjs', 'onnx', 'brain']);
    expect(await defaultBackends(suites.quick)).toEqual(['tfjs', 'onnx', 'brain']);
    // the full suite trains to convergence on the fastest runtime that loads
    expect(await defaultBackends(suites.full)).toEqual(['onnx-node']);
    expect(await defaultBackends({ ...suites.full, preferredBackends: ['no-such-backend', 'onnx'] })).toEqual(['onnx']);
  });
});
