import { checkBatch, checkInput, computeLoss, type ArchitectureNorms, type Batch, type LossName, type NetworkSpec, type NumericArray, type ReportField, type Tensor } from '@gradscope/core';
import { withShapes, type Params64, type Tensor64 } from './params64.js';
import { recurrentBackward, recurrentForward, type RecurrentProbes } from './recurrent.js';
import { deadUnitFractions, residualBackward, residualForward, type ResidualProbes } from './residual.js';

/** A tensor of either precision: inputs may be float32 (the contract) or float64 (for exact checks). */
export interface AnyTensor {
  readonly shape: readonly number[];
  readonly data: NumericArray;
}

export interface AnyBatch {
  readonly input: AnyTensor;
  readonly target: AnyTensor;
}

/** Additive probes on internal activations (zero when absent); see `ResidualProbes` and `RecurrentProbes`. */
export type NetworkProbes = ResidualProbes & RecurrentProbes;

/** `GradientResult` in float64: the reference's answer before rounding to the float32 contract. */
export interface GradientResult64 extends ArchitectureNorms {
  readonly output: Tensor64;
  readonly loss: number;
  readonly grads: Record<string, Tensor64>;
}

// checkInput/checkBatch read only shapes and lengths, so float64 tensors pass through them unchanged.
const asTensor = (t: AnyTensor): Tensor => t as Tensor;
const asBatch = (b: AnyBatch): Batch => ({ input: asTensor(b.input), target: asTensor(b.target) });

/** Output `[batch, outputSize]` of a batch, in float64. Input shape errors are `ShapeError`s. */
export function forward64(spec: NetworkSpec, params: Params64, input: AnyTensor, probes?: NetworkProbes): Tensor64 {
  const { batch, steps } = checkInput(spec, asTensor(input));
  const x = Float64Array.from(input.data);
  const tape = spec.kind === 'residual' ? residualForward(spec, params, x, batch, probes) : recurrentForward(spec, params, x, batch, steps, probes);
  return { shape: [batch, spec.outputSize], data: tape.output };
}

/** Loss of a batch in float64 (what the finite-difference tests differentiate). */
export function loss64(spec: NetworkSpec, params: Params64, batch: AnyBatch, loss: LossName, probes?: NetworkProbes): number {
  const { batch: n } = checkBatch(spec, asBatch(batch), loss);
  return computeLoss(loss, forward64(spec, params, batch.input, probes).data, batch.target.data, n).loss;
}

/**
 * Loss, every parameter gradient and every architecture norm of one batch, in float64: for a residual net
 * `blockOutputGradNorms` and `deadUnitFractions`; for a recurrent one `hiddenGradNorms`, `inputGradNorms`
 * and, for an LSTM, `cellGradNorms`. Non-finite values are kept as they are.
 */
export function gradients64(spec: NetworkSpec, params: Params64, batch: AnyBatch, loss: LossName): GradientResult64 {
  const { batch: n, steps } = checkBatch(spec, asBatch(batch), loss);
  const x = Float64Array.from(batch.input.data);
  if (spec.kind === 'residual') {
    const tape = residualForward(spec, params, x, n);
    const value = computeLoss(loss, tape.output, batch.target.data, n);
    const back = residualBackward(spec, params, tape, value.grad);
    return {
      output: { shape: [n, spec.outputSize], data: tape.output },
      loss: value.loss,
      grads: withShapes(spec, back.grads),
      blockOutputGradNorms: back.blockOutputGradNorms,
      deadUnitFractions: deadUnitFractions(spec, tape),
    };
  }
  const tape = recurrentForward(spec, params, x, n, steps);
  const value = computeLoss(loss, tape.output, batch.target.data, n);
  const back = recurrentBackward(spec, params, tape, value.grad);
  return {
    output: { shape: [n, spec.outputSize], data: tape.output },
    loss: value.loss,
    grads: withShapes(spec, back.grads),
    hiddenGradNorms: back.hiddenGradNorms,
    ...(back.cellGradNorms ? { cellGradNorms: back.cellGradNorms } : {}),
    inputGradNorms: back.inputGradNorms,
  };
}

/** Every report field core defines; the reference fills each one that applies to the network. */
export const REPORT_FIELDS: readonly ReportField[] = ['blockOutputGradNorms', 'deadUnitFractions', 'hiddenGradNorms', 'cellGradNorms', 'inputGradNorms'];

/** Only the architecture norms of a result (what a `GradientReport` carries besides the step statistics). */
export function architectureNorms(result: ArchitectureNorms): ArchitectureNorms {
  const out: ArchitectureNorms = {};
  for (const f of REPORT_FIELDS) if (result[f] !== undefined) Object.assign(out, { [f]: result[f] });
  return out;
}
