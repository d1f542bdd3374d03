import { ParamError } from './errors.js';
import { convStateDict } from './conv-params.js';
import { gateCount, type ModelSpec } from './spec.js';
import { shapeEquals, sizeOf, type Tensor } from './tensor.js';

/**
 * Named float32 tensors with the names and layouts of the equivalent PyTorch module's `state_dict`,
 * in `state_dict` order. Every backend converts to its own layout inside the adapter.
 */
export type ParamSet = Record<string, Tensor>;

export interface ParamShape {
  readonly name: string;
  readonly shape: readonly number[];
  /**
   * `false` for float32 buffers that travel in the `ParamSet` but are not trained: BatchNorm's `running_mean` and
   * `running_var` (no gradient, no optimizer update; a training-mode forward updates them). Absent means trainable.
   */
  readonly trainable?: false;
}

/**
 * Every float32 tensor the spec expects, with its PyTorch name and shape, in `state_dict` order. For a conv spec
 * this includes the BatchNorm running statistics (`trainable: false`) but not the int64 `num_batches_tracked`
 * counters, which are not part of a `ParamSet` (loaders skip them; see `convStateDict`).
 */
export function paramShapes(spec: ModelSpec): ParamShape[] {
  if (spec.kind === 'residual' && spec.variant === 'conv') {
    return convStateDict(spec)
      .filter((e) => e.dtype === 'F32')
      .map((e) => (e.trainable ? { name: e.name, shape: e.shape } : { name: e.name, shape: e.shape, trainable: false }));
  }
  const out: ParamShape[] = [];
  const linear = (name: string, inF: number, outF: number): void => {
    out.push({ name: `${name}.weight`, shape: [outF, inF] }, { name: `${name}.bias`, shape: [outF] });
  };
  if (spec.kind === 'residual') {
    linear('stem', spec.inputSize, spec.width);
    for (let i = 0; i < spec.depth; i++) {
      for (let j = 0; j < spec.block.layers; j++) linear(`blocks.${i}.${j}`, spec.width, spec.width);
    }
    linear('head', spec.width, spec.outputSize);
    return out;
  }
  const g = gateCount(spec.cell) * spec.hiddenSize;
  for (let k = 0; k < spec.numLayers; k++) {
    const inF = k === 0 ? spec.inputSize : spec.hiddenSize;
    out.push(
      { name: `${spec.cell}.weight_ih_l${k}`, shape: [g, inF] },
      { name: `${spec.cell}.weight_hh_l${k}`, shape: [g, spec.hiddenSize] },
      { name: `${spec.cell}.bias_ih_l${k}`, shape: [g] },
      { name: `${spec.cell}.bias_hh_l${k}`, shape: [g] },
    );
  }
  linear('fc', spec.hiddenSize, spec.outputSize);
  return out;
}

/** Total number of trainable scalar parameters (buffers such as running statistics are not counted). */
export function paramCount(spec: ModelSpec): number {
  return paramShapes(spec).reduce((n, p) => n + (p.trainable === false ? 0 : sizeOf(p.shape)), 0);
}

/**
 * Checks a parameter set against the spec and returns it in `state_dict` order.
 * Throws one `ParamError` listing every missing, unexpected and wrongly-shaped tensor.
 */
export function validateParams(spec: ModelSpec, params: ParamSet, source = 'parameters'): ParamSet {
  const expected = paramShapes(spec);
  const names = new Set(expected.map((p) => p.name));
  const missing: string[] = [];
  const wrongShape: { name: string; expected: readonly number[]; actual: readonly number[] }[] = [];
  const ordered: ParamSet = {};
  for (const p of expected) {
    const t = params[p.name];
    if (!t) missing.push(p.name);
    else if (!shapeEquals(t.shape, p.shape) || t.data.length !== sizeOf(p.shape)) {
      wrongShape.push({ name: p.name, expected: p.shape, actual: t.shape });
    } else ordered[p.name] = t;
  }
  const unexpected = Object.keys(params).filter((n) => !names.has(n));
  if (missing.length || unexpected.length || wrongShape.length) throw new ParamError(missing, unexpected, wrongShape, source);
  return ordered;
}

/** A deep copy, so a caller's later writes cannot change what a model holds. */
export function cloneParams(params: ParamSet): ParamSet {
  const out: ParamSet = {};
  for (const [name, t] of Object.entries(params)) out[name] = { shape: [...t.shape], data: t.data.slice() };
  return out;
}
