import {
  GradscopeError,
  paramShapes,
  type LossName,
  type NetworkSpec,
} from '@gradscope/core';
import { appendBackward } from './autodiff.js';
import { Graph } from './graph.js';
import { DataType } from './proto.js';
import { recurrentForward } from './recurrent.js';
import { residualForward } from './residual.js';
import { appendLoss } from './loss.js';

/**
 * What a compiled graph is for. Each purpose fetches only what it needs, so an unmonitored training step does
 * not pay for the report's norms:
 * - `forward`: output only;
 * - `train`: loss and every parameter gradient;
 * - `report`: output, loss, parameter gradients and every architecture norm of the gradient report.
 */
export type Purpose = 'forward' | 'train' | 'report';

export const names = {
  input: 'input',
  /** mse target `[batch, outputSize]`; crossEntropy labels are fed one-hot `[batch, outputSize]`. */
  target: 'target',
  output: 'output',
  loss: 'loss',
  grad: (param: string): string => `grad/${param}`,
  blockNorms: 'norms/block',
  deadFractions: 'norms/dead',
  hiddenNorms: 'norms/hidden',
  cellNorms: 'norms/cell',
  inputNorms: 'norms/input',
} as const;

export interface CompileOptions {
  readonly purpose: Purpose;
  readonly batch: number;
  /** Timesteps T (recurrent); ignored for residual nets. */
  readonly steps: number;
  /** Needed unless `purpose` is `forward`. */
  readonly loss?: LossName;
}

export interface CompiledModel {
  readonly model: Uint8Array;
  /** The graph outputs this purpose fetches. */
  readonly fetch: readonly string[];
  /** Nodes of the generated graph by op type: the kernels a run launches, before onnxruntime's own fusions. */
  readonly opCounts: Readonly<Record<string, number>>;
}

/** The training graph has no loss for this purpose (a programming error in the adapter). */
export class CompileError extends GradscopeError {
  constructor(message: string) {
    super('ONNX_COMPILE', message);
  }
}

/**
 * The L2 norm of each gradient (all of one shape; zeros where a value has no gradient) as one `[n]` output.
 * Stacking them first keeps this at a fixed handful of nodes however many norms there are: onnxruntime's cost per
 * node, not the arithmetic, is what a monitored step would otherwise pay for.
 */
function normVector(g: Graph, grads: readonly (string | undefined)[], like: string, name: string): void {
  const shape = g.shape(like);
  const size = shape.reduce((a, b) => a * b, 1);
  const parts = grads.map((v) => v ?? g.constFloat(new Float32Array(size), shape));
  normRows(g, g.op1('Reshape', [g.op1('Concat', parts, { axis: 0 }), g.constInt64([grads.length, size])]), name);
}

/**
 * The L2 norm of each row of `stacked` `[n, size]` as one `[n]` output. The squares are summed in float64:
 * vanishing gradients reach 1e-29 and below, whose float32 squares underflow (a plain ReduceL2 reports 0 there),
 * and two passes over the data (Cast, ReduceSumSquare) cost less than scaling each row by its largest magnitude.
 * An infinite entry makes the norm infinite.
 */
function normRows(g: Graph, stacked: string, name: string): void {
  const squares = g.op1('ReduceSumSquare', [g.op1('Cast', [stacked], { to: DataType.DOUBLE })], { axes: [1], keepdims: 0 });
  g.output(g.rename(g.op1('Cast', [g.op1('Sqrt', [squares])], { to: DataType.FLOAT }), name));
}

/** Per block: the fraction of its activation units (every layer's) that are zero for every example of the batch. */
function deadFractions(g: Graph, blocks: readonly (readonly string[])[]): void {
  const [batch, width] = g.shape(blocks[0]![0]!);
  const layers = blocks[0]!.length;
  const all = g.op1('Concat', blocks.flat(), { axis: 0 });
  const perUnit = g.op1('ReduceMax', [g.op1('Abs', [g.op1('Reshape', [all, g.constInt64([blocks.length, layers, batch!, width!])])])], { axes: [2], keepdims: 0 });
  const dead = g.op1('Cast', [g.op1('Equal', [perUnit, g.constFloat(0)])], { to: 1 });
  g.output(g.rename(g.op1('ReduceMean', [dead], { axes: [1, 2], keepdims: 0 }), names.deadFractions));
}

/**
 * Compiles a spec into one ONNX model for a purpose and a batch shape: the forward graph with parameters as
 * graph inputs, then (unless `forward`) the loss and its generated backward graph, whose outputs are the
 * parameter gradients and the report's norms.
 */
export function compileModel(spec: NetworkSpec, options: CompileOptions): CompiledModel {
  const { purpose, batch } = options;
  const g = new Graph(`gradscope_${spec.kind}_${purpose}`);
  const shapes = paramShapes(spec);
  for (const p of shapes) g.input(p.name, p.shape);
  const param = (name: string): string => name;
  const recurrent = spec.kind === 'recurrent';
  const x = g.input(names.input, recurrent ? [batch, options.steps, spec.inputSize] : [batch, spec.inputSize]);
  const fwd = recurrent ? recurrentForward(g, spec, x, param, batch, options.steps) : residualForward(g, spec, x, param);
  const fetch: string[] = [];
  const out = (name: string): void => {
    fetch.push(name);
  };
  if (purpose !== 'train') {
    g.output(g.rename(fwd.output, names.output));
    out(names.output);
  }
  if (purpose === 'forward') return { model: g.toModel(), fetch, opCounts: g.opCounts() };
  if (!options.loss) throw new CompileError(`purpose "${purpose}" needs a loss`);
  const loss = g.rename(appendLoss(g, options.loss, fwd.output, g.input(names.target, [batch, spec.outputSize]), batch), names.loss);
  g.output(loss);
  out(names.loss);
  // dL/dx is only wanted for the report; the train purpose leaves the input out of the backward pass.
  const wrt = [...shapes.map((p) => p.name), ...(purpose === 'report' && recurrent ? [x] : [])];
  const back = appendBackward(g, loss, wrt);
  for (const p of shapes) {
    const grad = back.gradOf(p.name) ?? g.constFloat(new Float32Array(p.shape.reduce((a, b) => a * b, 1)), p.shape);
    g.output(g.rename(grad, names.grad(p.name)));
    out(names.grad(p.name));
  }
  if (purpose === 'report') {
    if ('blockOutputs' in fwd) {
      if (fwd.blockOutputs.length > 0) {
        normVector(g, fwd.blockOutputs.map(back.gradOf), fwd.blockOutputs[0]!, names.blockNorms);
        deadFractions(g, fwd.blockActivations);
        out(names.blockNorms);
        out(names.deadFractions);
      }
    } else {
      normVector(g, fwd.hidden.flat().map(back.gradOf), fwd.hidden[0]![0]!, names.hiddenNorms);
      // ||dL/dx_t|| per timestep: the rows of dL/dx `[batch, T, in]` with T first
      const dx = back.gradOf(x) ?? g.constFloat(new Float32Array(g.shape(x).reduce((a, b) => a * b, 1)), g.shape(x));
      const [, steps, inF] = g.shape(x) as [number, number, number];
      normRows(g, g.op1('Reshape', [g.op1('Transpose', [dx], { perm: [1, 0, 2] }), g.constInt64([steps, batch * inF])]), names.inputNorms);
      out(names.hiddenNorms);
      out(names.inputNorms);
      if (fwd.cell.length) {
        normVector(g, fwd.cell.flat().map(back.gradOf), fwd.cell[0]![0]!, names.cellNorms);
        out(names.cellNorms);
      }
    }
  }
  return { model: g.toModel(), fetch, opCounts: g.opCounts() };
}

/** What driving a training graph by hand needs: its bytes and the names to feed and fetch. */
export interface TrainingGraph {
  readonly model: Uint8Array;
  /** Every parameter by its PyTorch name (a graph input of that name and shape). */
  readonly params: readonly { readonly name: string; readonly shape: readonly number[]; readonly grad: string }[];
  readonly input: string;
  /** mse: the target; crossEntropy: one-hot labels `[batch, outputSize]`. */
  readonly target: string;
  readonly loss: string;
  /** Nodes by op type (see `CompiledModel.opCounts`). */
  readonly opCounts: Readonly<Record<string, number>>;
}

/**
 * The exact graph an unmonitored `trainStep` runs (purpose `train`), for code that drives onnxruntime itself,
 * such as the bench's hand-written baseline.
 */
export function trainingGraph(spec: NetworkSpec, options: Omit<CompileOptions, 'purpose'> & { readonly loss: LossName }): TrainingGraph {
  const { model, opCounts } = compileModel(spec, { ...options, purpose: 'train' });
  const params = paramShapes(spec).map((p) => ({ name: p.name, shape: p.shape, grad: names.grad(p.name) }));
  return { model, params, input: names.input, target: names.target, loss: names.loss, opCounts };
}
