import {
  activations,
  assertSpecSupported,
  BACKEND_SPECIFICATION_VERSION,
  cellTypes,
  clipModes,
  DisposedError,
  NotSupportedError,
  lossNames,
  optimizerNames,
  parseModelSpec,
  parseSpec,
  type ConvResidualSpec,
  scheduleNames,
  type Backend,
  type NetworkSpec,
  type ParamSet,
  type Supports,
} from '@gradscope/core';
import { ReferenceConvModel } from './conv-model.js';
import { ReferenceModel } from './model.js';
import { REPORT_FIELDS } from './network.js';
import { TESTKIT_VERSION } from './version.js';

/** Everything core defines: the reference is the oracle the conformance suite compares other backends with. */
export const referenceSupports: Supports = {
  semantics: 'pytorch',
  residual: { variants: ['dense'], activations: [...activations] },
  recurrent: { cells: [...cellTypes] },
  losses: [...lossNames],
  training: true,
  optimizers: [...optimizerNames],
  schedules: [...scheduleNames],
  clipping: [...clipModes],
  report: [...REPORT_FIELDS],
  checkpoint: true,
  export: [],
};

export interface ReferenceBackend extends Backend {
  /** Builds a model whose float64 methods (`forward64`, `computeGradients64`, `getParams64`) skip the float32 rounding. */
  createModel(spec: NetworkSpec, params: ParamSet): Promise<ReferenceModel>;
  /**
   * Builds a convolutional residual net (`variant: "conv"`). Separate from `createModel` until the `Model` contract
   * carries conv specs; `supports.residual.variants` lists "conv" only once `createModel` accepts it.
   */
  createConvModel(spec: ConvResidualSpec, params: ParamSet): Promise<ReferenceConvModel>;
}

/**
 * The float64 reference backend: DESIGN.md's networks, exact reverse-mode gradients and every report norm in plain
 * TypeScript. Written for clarity; it is the oracle every other backend is checked against.
 */
export function createReferenceBackend(): ReferenceBackend {
  const models = new Set<ReferenceModel | ReferenceConvModel>();
  let disposed = false;
  const backend: ReferenceBackend = {
    specificationVersion: BACKEND_SPECIFICATION_VERSION,
    name: 'reference',
    runtime: { name: '@gradscope/testkit reference', version: TESTKIT_VERSION, device: 'float64' },
    supports: referenceSupports,
    async createModel(spec, params) {
      if (disposed) throw new DisposedError('reference backend');
      const parsed = parseSpec(spec); // a validated copy: later edits by the caller cannot reach the model
      assertSpecSupported(backend, parsed);
      const model = new ReferenceModel(backend, parsed, params, () => models.delete(model));
      models.add(model);
      return model;
    },
    async createConvModel(spec, params) {
      if (disposed) throw new DisposedError('reference backend');
      const parsed = parseModelSpec(spec);
      if (parsed.kind !== 'residual' || parsed.variant !== 'conv') throw new NotSupportedError('reference', `${parsed.kind} spec in createConvModel`, 'use createModel');
      const model = new ReferenceConvModel(backend, parsed, params, () => models.delete(model));
      models.add(model);
      return model;
    },
    async dispose() {
      disposed = true;
      for (const m of [...models]) await m.dispose();
    },
  };
  return backend;
}
