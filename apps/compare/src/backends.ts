import { BACKEND_SPECIFICATION_VERSION, GradscopeError, NotSupportedError, type Backend } from '@gradscope/core';
import { UsageError } from './cli-errors.js';

/** A backend the CLI can create: the adapter package is imported only when the backend is used. */
export interface BackendEntry {
  /** The id users type: `--backend onnx`. */
  readonly name: string;
  /** The workspace package that implements it. */
  readonly packageName: string;
  /** The factory the package exports. */
  readonly factory: string;
  /** Argument passed to the factory, when the package offers several flavours of one runtime. */
  readonly options?: Readonly<Record<string, unknown>>;
  readonly description: string;
  /** Runs only when named (`--backends onnx-node`): a second device of a runtime already in the default run. */
  readonly optIn?: true;
}

/**
 * Every backend known to the CLI, the float64 reference first. Adding a backend is one line here
 * (plus the package in apps/compare/package.json); `backends.test.ts` checks this list against the workspace.
 */
export const backendRegistry: readonly BackendEntry[] = [
  { name: 'reference', packageName: '@gradscope/testkit', factory: 'createReferenceBackend', description: 'float64 reference (plain TypeScript)' },
  { name: 'tfjs', packageName: '@gradscope/tfjs', factory: 'createTfjsBackend', description: 'TensorFlow.js' },
  { name: 'onnx', packageName: '@gradscope/onnx', factory: 'createOnnxBackend', description: 'ONNX Runtime Web (wasm)' },
  { name: 'brain', packageName: '@gradscope/brain', factory: 'createBrainBackend', description: 'brain.js, PyTorch semantics' },
  {
    name: 'brain-stock',
    packageName: '@gradscope/brain',
    factory: 'createBrainBackend',
    options: { flavor: 'stock' },
    description: "brain.js's own LSTM (a different model: no separate cell state)",
  },
  {
    name: 'onnx-node',
    packageName: '@gradscope/onnx',
    factory: 'createOnnxBackend',
    options: { device: 'node' },
    description: 'the same ONNX graphs on onnxruntime-node (native CPU; optional, installed beside @gradscope/onnx)',
    optIn: true,
  },
];

export const backendNames: readonly string[] = backendRegistry.map((b) => b.name);

/** The backend could not be loaded: its package is missing, unbuilt, or does not export its factory yet. */
export class BackendUnavailableError extends GradscopeError {
  constructor(name: string, reason: string) {
    super('BACKEND_UNAVAILABLE', `backend "${name}" is not available: ${reason}`);
  }
}

export function findBackendEntry(name: string): BackendEntry {
  const entry = backendRegistry.find((b) => b.name === name);
  if (!entry) throw new UsageError(`unknown backend "${name}" (expected one of ${backendNames.join('|')})`);
  return entry;
}

function isBackend(value: unknown): value is Backend {
  if (typeof value !== 'object' || value === null) return false;
  const b = value as Partial<Backend>;
  return typeof b.name === 'string' && typeof b.createModel === 'function' && typeof b.dispose === 'function';
}

/**
 * A function exported by an adapter package, imported on first use. A package that is missing, unbuilt or
 * does not export it yet gives `BackendUnavailableError` naming `backend`, instead of breaking the whole CLI.
 */
export async function importAdapterExport(backend: string, packageName: string, exportName: string): Promise<(...args: never[]) => unknown> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(packageName)) as Record<string, unknown>;
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new BackendUnavailableError(backend, `cannot load ${packageName} (${why}); run \`pnpm build\``);
  }
  const value = mod[exportName];
  if (typeof value !== 'function') {
    throw new BackendUnavailableError(backend, `${packageName} does not export ${exportName} (not implemented on this branch yet)`);
  }
  return value as (...args: never[]) => unknown;
}

/** Imports the backend's package and calls its factory (with `options` over the entry's own). Throws `UsageError` for unknown names. */
export async function createBackend(name: string, options?: Readonly<Record<string, unknown>>): Promise<Backend> {
  const entry = findBackendEntry(name);
  const factory = await importAdapterExport(name, entry.packageName, entry.factory);
  const merged = options ? { ...entry.options, ...options } : entry.options;
  let backend: unknown;
  try {
    backend = await (factory as (options?: unknown) => unknown)(merged);
  } catch (err) {
    // A runtime that cannot run here (onnx-node without onnxruntime-node, a tfjs device this machine lacks) is
    // unavailable, like a missing package, so listing what loads skips it instead of failing.
    if (err instanceof NotSupportedError) throw new BackendUnavailableError(name, err.message);
    throw err;
  }
  if (!isBackend(backend)) throw new BackendUnavailableError(name, `${entry.factory}() did not return a gradscope Backend`);
  if (backend.specificationVersion !== BACKEND_SPECIFICATION_VERSION) {
    await backend.dispose();
    throw new BackendUnavailableError(
      name,
      `it implements backend specification ${String(backend.specificationVersion)}, this CLI needs ${BACKEND_SPECIFICATION_VERSION}`,
    );
  }
  return backend;
}

/** Names of the registered backends that load on this machine (used when `--backends` is not given). */
export async function availableBackendNames(): Promise<string[]> {
  const names: string[] = [];
  for (const entry of backendRegistry) {
    try {
      const backend = await createBackend(entry.name);
      await backend.dispose();
      names.push(entry.name);
    } catch (err) {
      if (!(err instanceof BackendUnavailableError)) throw err;
    }
  }
  return names;
}
