import { relativeError, type GradientResult } from '@gradscope/core';
import { TOLERANCES, type AgreementRow } from './results.js';

/** `max_i |a_i - r_i| / |r_i|`: each norm against itself, since a series spans many decades. */
export function perValueRelativeError(actual: readonly number[], reference: readonly number[]): number {
  if (actual.length !== reference.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i]!;
    const d = Math.abs(actual[i]! - r);
    const e = r === 0 ? d : d / Math.abs(r);
    if (!(e <= worst)) worst = e; // NaN sticks
  }
  return worst;
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

/**
 * How far a backend's gradients of one batch are from the reference's, with DESIGN.md's tolerances:
 * outputs 1e-5, gradients 1e-4 (max|a-b|/max|ref| per tensor), norm series 1e-3 of each value.
 * A series the backend does not report is not compared; a parameter it does not return counts as a failure.
 */
export function agreementRow(spec: string, backend: string, actual: GradientResult, reference: GradientResult): AgreementRow {
  const output = relativeError(actual.output.data, reference.output.data);
  let grads = 0;
  let worstParam = '';
  for (const [name, ref] of Object.entries(reference.grads)) {
    const got = actual.grads[name];
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
    const e = perValueRelativeError(series, ref);
    if (!(e <= norms)) norms = e;
  }
  const pass = output <= TOLERANCES.output && grads <= TOLERANCES.grads && norms <= TOLERANCES.norms;
  return { spec, backend, output, grads, worstParam, norms, pass };
}
