import {
  activations,
  assertSpecSupported,
  BACKEND_SPECIFICATION_VERSION,
  cellTypes,
  clipModes,
  DisposedError,
  isConvResidual,
  lossNames,
  optimizerNames,
  parseModelSpec,
  UNLIMITED_BUDGET,
  type ConvResidualSpec,
  scheduleNames,
  type Backend,
  type ModelSpec,
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
  residual: { variants: ['dense', 'conv'], activations: [...activations] },
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
  /** A conv residual spec (`variant: "conv"`) gives a `ReferenceConvModel`, which adds BatchNorm modes and probes. */
  createModel(spec: ConvResidualSpec, params: ParamSet): Promise<ReferenceConvModel>;
  createModel(spec: ModelSpec, params: ParamSet): Promise<ReferenceModel | ReferenceConvModel>;
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
    // One implementation behind the overloads: the spec's kind decides the class.
    createModel: (async (spec: ModelSpec, params: ParamSet): Promise<ReferenceModel | ReferenceConvModel> => {
      if (disposed) throw new DisposedError('reference backend');
      // a validated copy: later edits by the caller cannot reach the model; the caller already holds the weights, so
      // the size budget (a parse-time guard for files) does not apply here
      const parsed = parseModelSpec(spec, UNLIMITED_BUDGET);
      assertSpecSupported(backend, parsed);
      const forget = (): boolean => models.delete(model);
      const model = isConvResidual(parsed) ? new ReferenceConvModel(backend, parsed, params, forget) : new ReferenceModel(backend, parsed, params, forget);
      models.add(model);
      return model;
    }) as ReferenceBackend['createModel'],
    async dispose() {
      disposed = true;
      for (const m of [...models]) await m.dispose();
    },
  };
  return backend;
}
