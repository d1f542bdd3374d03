import { planResidual, runResidualPlan, type Activation, type ResidualRun, type ResidualSpec } from '@gradscope/core';
import type { Graph } from './graph.js';

/** Looks up the graph value holding a parameter (a graph input when training, an initializer when exported). */
export type ParamValue = (name: string) => string;

/** What the forward graph of a residual net exposes for the gradient report (graph value names). */
export type ResidualForward = ResidualRun<string>;

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

/** Core's residual plan on ONNX ops, on input `x` `[batch, inputSize]`. */
export function residualForward(g: Graph, spec: ResidualSpec, x: string, p: ParamValue): ResidualForward {
  return runResidualPlan(planResidual(spec), {
    linear: (v, name) => linear(g, v, p, name),
    activate: (v, activation) => applyActivation(g, activation, v),
    sum: (terms) => terms.slice(1).reduce((acc, t) => g.op1('Add', [acc, t]), terms[0]!),
  }, x);
}
