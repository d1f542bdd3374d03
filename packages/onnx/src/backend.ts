import {
  assertSpecSupported,
  BACKEND_SPECIFICATION_VERSION,
  DisposedError,
  isConvResidual,
  type Backend,
  type Model,
  type ModelSpec,
  type ParamSet,
} from '@gradscope/core';
import { OnnxConvModel } from './conv-model.js';
import { OnnxModel } from './model.js';
import { loadOrtRuntime, type OnnxDevice } from './device.js';
import type { SessionOptions } from './session.js';
import { onnxSupports } from './supports.js';

export interface OnnxBackendOptions {
  /**
   * onnxruntime's graph optimization level for every session (default `basic`: measured as fast per step as `all`
   * on these graphs, with sessions built ~3x sooner). `disabled` builds long unrolled graphs faster still, at a
   * few percent per step.
   */
  readonly graphOptimizationLevel?: SessionOptions['graphOptimizationLevel'];
  /**
   * onnxruntime's thread count (intra-op threads of every session and the wasm thread pool), default 1: set
   * explicitly so reported speeds say what they ran with. The wasm pool size is global and fixed by the first
   * session created in the process.
   */
  readonly threads?: number;
  /**
   * `wasm` (default): onnxruntime-web's WebAssembly build, in Node and in browsers. `node`: onnxruntime-node's native
   * CPU build (an optional peer dependency), the same graphs on MLAS kernels; Node.js only.
   */
  readonly device?: OnnxDevice;
}

const onnxBackendIdentity = { name: 'onnx', supports: onnxSupports };

/**
 * The ONNX Runtime backend: specs compiled to ONNX graphs with a generated backward graph, run on onnxruntime-web
 * (wasm) or onnxruntime-node (`device: 'node'`). Throws `NotSupportedError` when the device cannot load.
 */
export function createOnnxBackend(options: OnnxBackendOptions = {}): Backend {
  const models = new Set<OnnxModel | OnnxConvModel>();
  let disposed = false;
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`onnx threads: expected an integer >= 1, got ${threads}`);
  const ort = loadOrtRuntime(options.device ?? 'wasm');
  ort.setThreads(threads);
  const sessionOptions: SessionOptions = { runtime: ort, intraOpNumThreads: threads, ...(options.graphOptimizationLevel ? { graphOptimizationLevel: options.graphOptimizationLevel } : {}) };
  return {
    specificationVersion: BACKEND_SPECIFICATION_VERSION,
    name: 'onnx',
    runtime: { name: ort.packageName, version: ort.version, device: ort.device, threads },
    supports: onnxSupports,
    async createModel(spec: ModelSpec, params: ParamSet): Promise<Model> {
      if (disposed) throw new DisposedError('onnx backend');
      assertSpecSupported(onnxBackendIdentity, spec);
      if (isConvResidual(spec)) {
        const model: OnnxConvModel = new OnnxConvModel(onnxBackendIdentity, spec, params, sessionOptions, () => models.delete(model));
        models.add(model);
        return model;
      }
      const model: OnnxModel = new OnnxModel(onnxBackendIdentity, spec, params, sessionOptions, () => models.delete(model));
      models.add(model);
      return model;
    },
    async dispose(): Promise<void> {
      disposed = true;
      await Promise.all([...models].map((m) => m.dispose()));
    },
  };
}
