import type { Activation, ResidualSpec } from './spec.js';

/**
 * A dense residual spec compiled once into what every backend builds: which PyTorch-named Linear layers run in which
 * order, where the activation goes, where the skip adds and where the report's probe points (block outputs) are.
 * Backends interpret it with three primitives (`ResidualPrimitives`) instead of walking the spec themselves.
 */
export interface ResidualPlan {
  readonly activation: Activation;
  /** Parameter prefix of the stem Linear (`stem`), followed by the activation. */
  readonly stem: string;
  readonly blocks: readonly ResidualBlockPlan[];
  /** Parameter prefix of the head Linear (`head`), with no activation. */
  readonly head: string;
}

export interface ResidualBlockPlan {
  /** Parameter prefixes of the block's Linear layers in order (`blocks.{i}.{j}`), each followed by the activation. */
  readonly layers: readonly string[];
  /** `h + f(h)` (identity skip) or `f(h)` (plain). The block output — after the add — is the probe point. */
  readonly skip: boolean;
}

/** What a backend provides to run a plan on its own values `T` (tensors, graph value names, matrices). */
export interface ResidualPrimitives<T> {
  /** `x W^T + b` with the PyTorch parameters `{name}.weight` `[out, in]` and `{name}.bias`. */
  linear(x: T, name: string): T;
  /** DESIGN.md's activation (leakyRelu slope 0.01, exact gelu; `linear` may return `x`). */
  activate(x: T, activation: Activation): T;
  /** The elementwise sum of two or more values (the skip, and a probe when one is given). */
  sum(terms: readonly T[]): T;
}

/** What running a plan gives back, for the report: every block output and every activation inside each block. */
export interface ResidualRun<T> {
  readonly output: T;
  /** h after each block (after the add; after f in a plain net), blocks 0..depth-1. */
  readonly blockOutputs: readonly T[];
  /** Per block, the activation output of each of its Linear layers (for dead-unit counts). */
  readonly blockActivations: readonly (readonly T[])[];
}

export function planResidual(spec: ResidualSpec): ResidualPlan {
  return {
    activation: spec.block.activation,
    stem: 'stem',
    blocks: Array.from({ length: spec.depth }, (_, i) => ({
      layers: Array.from({ length: spec.block.layers }, (_, j) => `blocks.${i}.${j}`),
      skip: spec.block.skip === 'identity',
    })),
    head: 'head',
  };
}

/**
 * Runs a plan with a backend's primitives. With `probes` (one zero value per block) each block output is
 * `h + f + probe`, so the gradient with respect to a probe is dL/d(block output) for runtimes that differentiate
 * with respect to inputs only.
 */
export function runResidualPlan<T>(plan: ResidualPlan, ops: ResidualPrimitives<T>, x: T, probes?: readonly T[]): ResidualRun<T> {
  const layer = (v: T, name: string): T => ops.activate(ops.linear(v, name), plan.activation);
  let h = layer(x, plan.stem);
  const blockOutputs: T[] = [];
  const blockActivations: T[][] = [];
  plan.blocks.forEach((block, i) => {
    const acts: T[] = [];
    let f = h;
    for (const name of block.layers) {
      f = layer(f, name);
      acts.push(f);
    }
    const probe = probes?.[i];
    const terms = [...(block.skip ? [h] : []), f, ...(probe === undefined ? [] : [probe])];
    h = terms.length === 1 ? f : ops.sum(terms);
    blockOutputs.push(h);
    blockActivations.push(acts);
  });
  return { output: ops.linear(h, plan.head), blockOutputs, blockActivations };
}

/**
 * How many of `units` units are exactly zero for every one of `batch` examples (dead ReLUs). `at(example, unit)`
 * reads an activation, so any layout works: `[batch, units]` rows, brain.js's `[units, batch]` columns, ...
 */
export function countDeadUnits(batch: number, units: number, at: (example: number, unit: number) => number): number {
  let dead = 0;
  for (let u = 0; u < units; u++) {
    let b = 0;
    while (b < batch && at(b, u) === 0) b++;
    if (b === batch) dead++;
  }
  return dead;
}
