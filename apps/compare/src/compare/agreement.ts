import { createRng, relativeError, type Batch, type GradientResult, type LossName, type ParamSet } from '@gradscope/core';
import { TOLERANCES, type AgreementRow, type Spread } from './results.js';

/** float32's smallest normal number: below it a float32 runtime has lost the value's precision or flushed it to 0. */
export const FLOAT32_MIN_NORMAL = 1.1754943508222875e-38;

/**
 * `max_i |a_i - r_i| / |r_i|`: each norm against itself, since a series spans many decades. Values that both sides put
 * below float32's smallest normal agree ("underflow": a float32 runtime cannot represent them) and are counted.
 */
export function perValueComparison(actual: readonly number[], reference: readonly number[]): { error: number; underflow: number } {
  if (actual.length !== reference.length) return { error: Infinity, underflow: 0 };
  let worst = 0;
  let underflow = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i]!;
    const a = actual[i]!;
    if (Math.abs(r) < FLOAT32_MIN_NORMAL && Math.abs(a) < FLOAT32_MIN_NORMAL) {
      underflow++;
      continue;
    }
    const d = Math.abs(a - r);
    const e = r === 0 ? d : d / Math.abs(r);
    if (!(e <= worst)) worst = e; // NaN sticks
  }
  return { error: worst, underflow };
}

function belowFloat32Range(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) if (!(Math.abs(values[i]!) < FLOAT32_MIN_NORMAL)) return false;
  return true;
}

export function perValueRelativeError(actual: readonly number[], reference: readonly number[]): number {
  return perValueComparison(actual, reference).error;
}

/** Every gradient-norm series of a result, flattened, keyed by field (dead-unit fractions are not norms). */
function normSeries(r: GradientResult): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  if (r.blockOutputGradNorms) out['blockOutputGradNorms'] = r.blockOutputGradNorms;
  if (r.hiddenGradNorms) out['hiddenGradNorms'] = r.hiddenGradNorms.flat();
  if (r.cellGradNorms) out['cellGradNorms'] = r.cellGradNorms.flat();
  if (r.inputGradNorms) out['inputGradNorms'] = r.inputGradNorms;
  return out;
}

/** The three measures of `agreementRow`: output, worst parameter gradient, worst norm value. */
function errors(actual: GradientResult, reference: GradientResult): { output: number; grads: number; worstParam: string; norms: number; underflow: number } {
  const output = relativeError(actual.output.data, reference.output.data);
  let grads = 0;
  let worstParam = '';
  let underflow = 0;
  for (const [name, ref] of Object.entries(reference.grads)) {
    const got = actual.grads[name];
    // a gradient whose every value lies below float32's normal range on both sides agrees, as a norm series' values do
    if (got && belowFloat32Range(ref.data) && belowFloat32Range(got.data)) {
      underflow += ref.data.length;
      continue;
    }
    const e = got ? relativeError(got.data, ref.data) : Infinity;
    if (!(e <= grads)) {
      grads = e;
      worstParam = name;
    }
  }
  let norms = 0;
  const refSeries = normSeries(reference);
  for (const [field, series] of Object.entries(normSeries(actual))) {
    const ref = refSeries[field];
    if (!ref) continue;
    const c = perValueComparison(series, ref);
    underflow += c.underflow;
    if (!(c.error <= norms)) norms = c.error;
  }
  return { output, grads, worstParam, norms, underflow };
}

/**
 * How far a backend's gradients of one batch are from the reference's, with DESIGN.md's tolerances:
 * outputs 1e-5, gradients 1e-4 (max|a-b|/max|ref| per tensor), norm series 1e-3 of each value.
 * A series the backend does not report is not compared; a parameter it does not return counts as a failure.
 * With the reference's `spread` (see `referenceSpread`), a row outside the tolerances but within what the reference
 * itself does under float32-sized changes is marked `withinFloat32Spread`.
 */
export function agreementRow(spec: string, backend: string, actual: GradientResult, reference: GradientResult, spread?: Spread): AgreementRow {
  const { output, grads, worstParam, norms, underflow } = errors(actual, reference);
  const pass = output <= TOLERANCES.output && grads <= TOLERANCES.grads && norms <= TOLERANCES.norms;
  const row: AgreementRow = { spec, backend, output, grads, worstParam, norms, pass, underflow };
  if (!spread) return row;
  const within = (e: number, tol: number, s: number): boolean => e <= Math.max(tol, s);
  const withinFloat32Spread =
    !pass && within(output, TOLERANCES.output, spread.output) && within(grads, TOLERANCES.grads, spread.grads) && within(norms, TOLERANCES.norms, spread.norms);
  return { ...row, spread, withinFloat32Spread };
}

/** Relative size of the weight changes that probe the reference: about the float32 rounding a forward pass accumulates. */
export const SPREAD_PERTURBATION = 1e-6;
export const SPREAD_DRAWS = 3;

/** The part of a model `referenceSpread` drives. */
interface Probeable {
  computeGradients(batch: Batch, loss: LossName): Promise<GradientResult>;
  setParams(params: ParamSet): Promise<void>;
}

/**
 * How much the reference's own outputs and gradients move when every weight is scaled by 1 ± 1e-6 (seeded, 3 draws):
 * ReLU nets have kinks, and a ReLU input within float32 rounding of zero flips its unit between runtimes, moving the
 * gradients by far more than DESIGN.md's tolerance. A spread above the tolerance says the batch sits on such a kink,
 * so a float32 backend cannot be held to the tolerance there. Restores `params` afterwards.
 */
export async function referenceSpread(
  model: Probeable,
  params: ParamSet,
  batch: Batch,
  loss: LossName,
  initial: GradientResult,
): Promise<Spread> {
  const spread: Spread = { output: 0, grads: 0, norms: 0 };
  const rng = createRng(0).stream('agreement/spread'); // the same draws every run
  try {
    for (let d = 0; d < SPREAD_DRAWS; d++) {
      const moved: ParamSet = {};
      for (const [name, t] of Object.entries(params)) {
        moved[name] = { shape: t.shape, data: t.data.map((v) => v * (1 + SPREAD_PERTURBATION * (2 * rng.uniform() - 1))) };
      }
      await model.setParams(moved);
      const e = errors(await model.computeGradients(batch, loss), initial);
      spread.output = Math.max(spread.output, e.output);
      spread.grads = Math.max(spread.grads, e.grads);
      spread.norms = Math.max(spread.norms, e.norms);
    }
  } finally {
    await model.setParams(params);
  }
  return spread;
}
