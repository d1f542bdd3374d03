import type { Activation, ResidualSpec } from '@gradscope/core';
import type { Graph } from './graph.js';

/** Looks up the graph value holding a parameter (a graph input when training, an initializer when exported). */
export type ParamValue = (name: string) => string;

/** What the forward graph of a residual net exposes for the gradient report. */
export interface ResidualForward {
  readonly output: string;
  /** h after each block (after the add; after f in a plain net), blocks 0..depth-1. */
  readonly blockOutputs: readonly string[];
  /** Each block's activation outputs, one per Linear layer inside it (for dead-unit fractions). */
  readonly blockActivations: readonly (readonly string[])[];
}

const INV_SQRT_2 = Math.SQRT1_2;

/** The activation as ONNX ops; `gelu` is the exact form 0.5·x·(1 + erf(x/√2)), as torch.nn.GELU() computes it. */
export function applyActivation(g: Graph, activation: Activation, x: string): string {
  switch (activation) {
    case 'relu':
      return g.op1('Relu', [x]);
    case 'tanh':
      return g.op1('Tanh', [x]);
    case 'sigmoid':
      return g.op1('Sigmoid', [x]);
    case 'leakyRelu':
      return g.op1('LeakyRelu', [x], { alpha: { f: 0.01 } });
    case 'gelu': {
      const erf = g.op1('Erf', [g.op1('Mul', [x, g.constFloat(INV_SQRT_2)])]);
      return g.op1('Mul', [g.op1('Mul', [x, g.constFloat(0.5)]), g.op1('Add', [erf, g.constFloat(1)])]);
    }
    case 'linear':
      return x;
  }
}

/** `x W^T + b` with a PyTorch-layout weight `[out, in]`. */
export function linear(g: Graph, x: string, p: ParamValue, name: string): string {
  return g.op1('Gemm', [x, p(`${name}.weight`), p(`${name}.bias`)], { transB: 1 });
}

/** Stem, `depth` blocks and head of DESIGN.md's dense residual network, on input `x` `[batch, inputSize]`. */
export function residualForward(g: Graph, spec: ResidualSpec, x: string, p: ParamValue): ResidualForward {
  const act = spec.block.activation;
  let h = applyActivation(g, act, linear(g, x, p, 'stem'));
  const blockOutputs: string[] = [];
  const blockActivations: string[][] = [];
  for (let i = 0; i < spec.depth; i++) {
    let f = h;
    const acts: string[] = [];
    for (let j = 0; j < spec.block.layers; j++) {
      f = applyActivation(g, act, linear(g, f, p, `blocks.${i}.${j}`));
      acts.push(f);
    }
    h = spec.block.skip === 'identity' ? g.op1('Add', [h, f]) : f;
    blockOutputs.push(h);
    blockActivations.push(acts);
  }
  return { output: linear(g, h, p, 'head'), blockOutputs, blockActivations };
}
