import * as web from 'onnxruntime-web';
import { NotSupportedError } from '@gradscope/core';

/** Where the generated graphs run: onnxruntime-web's WebAssembly build, or onnxruntime-node's native CPU (MLAS) build. */
export type OnnxDevice = 'wasm' | 'node';
export const onnxDevices: readonly OnnxDevice[] = ['wasm', 'node'];

/** The part of an onnxruntime package this adapter uses; onnxruntime-web and onnxruntime-node both export it. */
export interface OrtRuntime {
  readonly device: OnnxDevice;
  /** npm package name, for `Backend.runtime`. */
  readonly packageName: 'onnxruntime-web' | 'onnxruntime-node';
  readonly version: string;
  readonly InferenceSession: typeof web.InferenceSession;
  /** Each package has its own Tensor class; a session only accepts its own package's tensors. */
  readonly Tensor: typeof web.Tensor;
  readonly executionProviders: readonly string[];
  /** Sets the runtime-wide thread pool where there is one (wasm); per-session options cover the rest. */
  setThreads(threads: number): void;
}

/** As tfjs' device.ts: a device that cannot run here is a `NotSupportedError`, never a fallback to another device. */
const unavailable = (reason: string): NotSupportedError => new NotSupportedError('onnx', 'device "node"', reason);

const wasmRuntime: OrtRuntime = {
  device: 'wasm',
  packageName: 'onnxruntime-web',
  version: web.env.versions.web ?? 'unknown',
  InferenceSession: web.InferenceSession,
  Tensor: web.Tensor,
  executionProviders: ['wasm'],
  setThreads(threads) {
    web.env.wasm.numThreads = threads;
  },
};

let nodeRuntime: OrtRuntime | undefined;

interface NodeModuleApi {
  createRequire(path: string): (id: string) => unknown;
}

/**
 * onnxruntime-node is a CommonJS native addon and an optional peer: it is required lazily through Node's own
 * `createRequire` (reached with `process.getBuiltinModule`, so bundlers for the browser never see a `node:` import).
 */
function loadNodeRuntime(): OrtRuntime {
  if (nodeRuntime) return nodeRuntime;
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  if (typeof proc?.getBuiltinModule !== 'function') {
    throw unavailable('it needs Node.js >= 20.16 (use device "wasm" in a browser)');
  }
  const { createRequire } = proc.getBuiltinModule('node:module') as NodeModuleApi;
  let ort: typeof web;
  try {
    ort = createRequire(import.meta.url)('onnxruntime-node') as typeof web;
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw unavailable(
      `cannot load onnxruntime-node (${why}); install it next to @gradscope/onnx: ` +
        'ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node@1.30.0 (its CPU build ships in the package)',
    );
  }
  nodeRuntime = {
    device: 'node',
    packageName: 'onnxruntime-node',
    version: ort.env.versions.node ?? ort.env.versions.common ?? 'unknown',
    InferenceSession: ort.InferenceSession,
    Tensor: ort.Tensor,
    executionProviders: ['cpu'],
    setThreads() {
      // onnxruntime-node has no global pool: intraOpNumThreads on each session sets it.
    },
  };
  return nodeRuntime;
}

/** The runtime for `device`; throws `NotSupportedError` when it cannot be loaded here. */
export function loadOrtRuntime(device: OnnxDevice): OrtRuntime {
  if (device === 'wasm') return wasmRuntime;
  if (device === 'node') return loadNodeRuntime();
  throw new RangeError(`onnx device: expected one of ${onnxDevices.join('|')}, got ${JSON.stringify(device)}`);
}
