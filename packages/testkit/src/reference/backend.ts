import {
  activations,
  assertSpecSupported,
  BACKEND_SPECIFICATION_VERSION,
  cellTypes,
  clipModes,
  DisposedError,
  lossNames,
  optimizerNames,
  parseSpec,
  scheduleNames,
  type Backend,
  type NetworkSpec,
  type ParamSet,
  type Supports,
} from '@gradscope/core';
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
}

/**
 * The float64 reference backend: DESIGN.md's networks, exact reverse-mode gradients and every report norm in plain
 * TypeScript. Written for clarity; it is the oracle every other backend is checked against.
 */
export function createReferenceBackend(): ReferenceBackend {
  const models = new Set<ReferenceModel>();
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
    async dispose() {
      disposed = true;
      for (const m of [...models]) await m.dispose();
    },
  };
  return backend;
}
