import { paramShapes, validateParams, type ModelSpec, type NumericArray, type ParamSet } from '@gradscope/core';

/** Parameters in float64 under their PyTorch names and layouts (shapes follow from the spec). */
export type Params64 = Record<string, Float64Array>;

/** A tensor in float64, row-major: what the reference computes before rounding to the float32 contract. */
export interface Tensor64 {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

/** Validates a parameter set against the spec (`ParamError` lists every problem) and widens it to float64. */
export function toParams64(spec: ModelSpec, params: Record<string, { readonly shape: readonly number[]; readonly data: NumericArray }>): Params64 {
  const ordered = validateParams(spec, params as ParamSet);
  const out: Params64 = {};
  for (const [name, t] of Object.entries(ordered)) out[name] = Float64Array.from(t.data);
  return out;
}

/** Zero-filled arrays for every parameter of the spec, in `state_dict` order. */
export function zerosLike(spec: ModelSpec): Params64 {
  const out: Params64 = {};
  for (const p of paramShapes(spec)) out[p.name] = new Float64Array(p.shape.reduce((n, d) => n * d, 1));
  return out;
}

/** Float64 arrays with the spec's shapes attached. */
export function withShapes(spec: ModelSpec, arrays: Params64): Record<string, Tensor64> {
  const out: Record<string, Tensor64> = {};
  for (const p of paramShapes(spec)) out[p.name] = { shape: [...p.shape], data: arrays[p.name]! };
  return out;
}

/** Rounds float64 arrays to the float32 `ParamSet` contract (copies). */
export function toParamSet(spec: ModelSpec, arrays: Params64): ParamSet {
  const out: ParamSet = {};
  for (const p of paramShapes(spec)) out[p.name] = { shape: [...p.shape], data: Float32Array.from(arrays[p.name]!) };
  return out;
}

/** Looks a parameter up by name; the spec guarantees it exists once the set is validated. */
export function param(params: Params64, name: string): Float64Array {
  const p = params[name];
  if (!p) throw new Error(`reference backend: parameter ${name} missing (parameters were not validated)`);
  return p;
}
