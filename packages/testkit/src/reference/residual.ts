import { countDeadUnits, type ResidualSpec } from '@gradscope/core';
import { activate, activationBackward } from './activations.js';
import { addBiasGrad, addInto, addMatMul, addWeightGrad, linear, norm } from './linalg.js';
import { param, zerosLike, type Params64 } from './params64.js';

/** One Linear+act pair as the forward pass left it: pre-activation `z` and activation `a`, both `[batch, width]`. */
interface LayerTape {
  readonly z: Float64Array;
  readonly a: Float64Array;
}

/** Everything the backward pass of a dense residual net needs. */
export interface ResidualTape {
  readonly batch: number;
  readonly input: Float64Array;
  readonly stem: LayerTape;
  /** `blocks[i][j]`: layer j of block i. */
  readonly blocks: LayerTape[][];
  /** Block outputs h_i, `[batch, width]` (after the add, or after f in a plain net). */
  readonly blockOutputs: Float64Array[];
  /** `[batch, outputSize]`. */
  readonly output: Float64Array;
}

/** Gradients of a dense residual net for a given dL/d(output). */
export interface ResidualGradients {
  readonly grads: Params64;
  /** ||dL/dh_i|| for blocks 0..depth-1. */
  readonly blockOutputGradNorms: number[];
}

/**
 * Additive perturbations of the block outputs (zero when absent): the gradient of the loss with respect to
 * `blockOutputs[i]` at zero is dL/dh_i, which is how the tests check the report's norms by finite differences.
 */
export interface ResidualProbes {
  readonly blockOutputs?: readonly (Float64Array | undefined)[];
}

function linearAct(spec: ResidualSpec, params: Params64, name: string, x: Float64Array, batch: number, inF: number): LayerTape {
  const z = linear(x, param(params, `${name}.weight`), param(params, `${name}.bias`), batch, inF, spec.width);
  const a = new Float64Array(z.length);
  activate(spec.block.activation, z, a);
  return { z, a };
}

/**
 * Forward pass of DESIGN.md's dense residual net: stem `h = act(Linear(x))`; per block
 * `f(h) = act(W_k … act(W_1 h))`, then `h <- h + f(h)` (skip identity) or `h <- f(h)` (skip none); head Linear.
 */
export function residualForward(spec: ResidualSpec, params: Params64, input: Float64Array, batch: number, probes?: ResidualProbes): ResidualTape {
  const w = spec.width;
  const stem = linearAct(spec, params, 'stem', input, batch, spec.inputSize);
  let h = stem.a;
  const blocks: LayerTape[][] = [];
  const blockOutputs: Float64Array[] = [];
  for (let i = 0; i < spec.depth; i++) {
    const layers: LayerTape[] = [];
    let x = h;
    for (let j = 0; j < spec.block.layers; j++) {
      const layer = linearAct(spec, params, `blocks.${i}.${j}`, x, batch, w);
      layers.push(layer);
      x = layer.a;
    }
    const out = x.slice();
    if (spec.block.skip === 'identity') addInto(out, h);
    const probe = probes?.blockOutputs?.[i];
    if (probe) addInto(out, probe);
    blocks.push(layers);
    blockOutputs.push(out);
    h = out;
  }
  const output = linear(h, param(params, 'head.weight'), param(params, 'head.bias'), batch, w, spec.outputSize);
  return { batch, input, stem, blocks, blockOutputs, output };
}

/**
 * Exact reverse-mode backward of `residualForward` given dL/d(output) `[batch, outputSize]`:
 * every parameter gradient and the norm of the total gradient at each block output.
 */
export function residualBackward(spec: ResidualSpec, params: Params64, tape: ResidualTape, dOutput: Float64Array): ResidualGradients {
  const { batch } = tape;
  const w = spec.width;
  const act = spec.block.activation;
  const grads = zerosLike(spec);
  const hLast = spec.depth > 0 ? tape.blockOutputs[spec.depth - 1]! : tape.stem.a;
  addWeightGrad(grads['head.weight']!, dOutput, hLast, batch, w, spec.outputSize);
  addBiasGrad(grads['head.bias']!, dOutput, batch, spec.outputSize);
  let dh = new Float64Array(batch * w);
  addMatMul(dh, dOutput, param(params, 'head.weight'), batch, w, spec.outputSize);

  const blockOutputGradNorms = new Array<number>(spec.depth);
  const dz = new Float64Array(batch * w);
  for (let i = spec.depth - 1; i >= 0; i--) {
    blockOutputGradNorms[i] = norm(dh);
    const layers = tape.blocks[i]!;
    const blockInput = i > 0 ? tape.blockOutputs[i - 1]! : tape.stem.a;
    let da = dh;
    for (let j = spec.block.layers - 1; j >= 0; j--) {
      const layer = layers[j]!;
      const x = j > 0 ? layers[j - 1]!.a : blockInput;
      const name = `blocks.${i}.${j}`;
      activationBackward(act, layer.z, layer.a, da, dz);
      addWeightGrad(grads[`${name}.weight`]!, dz, x, batch, w, w);
      addBiasGrad(grads[`${name}.bias`]!, dz, batch, w);
      const dx = new Float64Array(batch * w);
      addMatMul(dx, dz, param(params, `${name}.weight`), batch, w, w);
      da = dx;
    }
    // da is now dL/d(block input) through f; the identity skip adds the gradient that bypasses f.
    if (spec.block.skip === 'identity') addInto(da, dh);
    dh = da;
  }

  activationBackward(act, tape.stem.z, tape.stem.a, dh, dz);
  addWeightGrad(grads['stem.weight']!, dz, tape.input, batch, spec.inputSize, w);
  addBiasGrad(grads['stem.bias']!, dz, batch, w);
  return { grads, blockOutputGradNorms };
}

/** Per block, the fraction of its activation units (all its layers) that are exactly zero for every example. */
export function deadUnitFractions(spec: ResidualSpec, tape: ResidualTape): number[] {
  const w = spec.width;
  return tape.blocks.map((layers) => layers.reduce((n, { a }) => n + countDeadUnits(tape.batch, w, (b, u) => a[b * w + u]!), 0) / (layers.length * w));
}
