import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import {
  BACKEND_SPECIFICATION_VERSION,
  DisposedError,
  assertSpecSupported,
  validateParams,
  isConvResidual,
  type Backend,
  type ConvResidualSpec,
  type ModelSpec,
  type NetworkSpec,
  type ParamSet,
} from '@gradscope/core';
import { TfjsConvModel } from './conv-model.js';
import { TFJS_BACKEND_NAME, activateDevice, isNode, type TfjsDevice } from './device.js';
import { TfjsModel } from './model.js';
import { tfjsSupports } from './supports.js';

export interface TfjsBackendOptions {
  /** Default: `wasm` in Node (≈3.5x faster than `cpu`), `webgl` in a browser. Never falls back to another one. */
  readonly backend?: TfjsDevice;
  /** Browser only: where the tfjs-backend-wasm `.wasm` files are served (tfjs' `setWasmPaths`). */
  readonly wasmPaths?: string;
  /**
   * `wasm` only: tfjs-backend-wasm's thread count (`setThreadsCount`). It takes effect only before the wasm backend
   * first starts in the process; the count in effect is reported as `runtime.threads`. In Node the wasm backend runs
   * single-threaded whatever is asked.
   */
  readonly threads?: number;
}

/** A gradscope `Backend` on TensorFlow.js. */
export interface TfjsBackend extends Backend {
  readonly device: TfjsDevice;
  createModel(spec: NetworkSpec, params: ParamSet): Promise<TfjsModel>;
  /** Conv residual specs (`variant: "conv"`) give a `TfjsConvModel`, which adds `setBatchNormMode` and `weights()`. */
  createModel(spec: ConvResidualSpec, params: ParamSet): Promise<TfjsConvModel>;
  createModel(spec: ModelSpec, params: ParamSet): Promise<TfjsModel | TfjsConvModel>;
}

/**
 * Creates the tfjs backend on one device: `wasm` by default in Node (the .wasm loads from node_modules, no
 * network), `cpu` only when asked for. If the device cannot be set, this throws; it never falls back silently.
 */
export async function createTfjsBackend(options: TfjsBackendOptions = {}): Promise<TfjsBackend> {
  const device = options.backend ?? (isNode() ? 'wasm' : 'webgl');
  tf.enableProdMode(); // silences the "running TensorFlow.js in Node.js" banner and debug checks
  if (options.wasmPaths !== undefined) setWasmPaths(options.wasmPaths);
  if (options.threads !== undefined) {
    if (device !== 'wasm') throw new RangeError(`tfjs threads: only the wasm device takes a thread count, not "${device}"`);
    if (!Number.isInteger(options.threads) || options.threads < 1) throw new RangeError(`tfjs threads: expected an integer >= 1, got ${options.threads}`);
    setThreadsCount(options.threads);
  }
  await activateDevice(device);
  // The GPU devices have no thread count; cpu is tfjs' plain JavaScript kernels on the one JS thread.
  const threads = device === 'wasm' ? getThreadsCount() : device === 'cpu' ? 1 : undefined;
  const models = new Set<TfjsModel | TfjsConvModel>();
  let disposed = false;
  const backend: TfjsBackend = {
    specificationVersion: BACKEND_SPECIFICATION_VERSION,
    name: TFJS_BACKEND_NAME,
    runtime: { name: '@tensorflow/tfjs', version: tf.version.tfjs, device, ...(threads === undefined ? {} : { threads }) },
    supports: tfjsSupports,
    device,
    // One implementation behind the two overloads: the spec's kind decides the class.
    createModel: (async (spec: ModelSpec, params: ParamSet): Promise<TfjsModel | TfjsConvModel> => {
      if (disposed) throw new DisposedError('tfjs backend');
      assertSpecSupported(backend, spec);
      const ordered = validateParams(spec, params);
      await activateDevice(device);
      const forget = (): boolean => models.delete(model);
      const model = isConvResidual(spec) ? new TfjsConvModel(spec, ordered, device, forget) : new TfjsModel(spec, ordered, device, forget);
      models.add(model);
      return model;
    }) as TfjsBackend['createModel'],
    async dispose() {
      if (disposed) return;
      disposed = true;
      for (const m of [...models]) await m.dispose();
    },
  };
  return backend;
}
