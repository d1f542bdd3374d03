/**
 * Agreement tolerances (DESIGN.md). The relative error of a tensor is `max|a - b| / max|ref|`; a norm series
 * (one number per block or timestep, spanning many decades) is held to its tolerance value by value.
 */
export interface Tolerances {
  /** Outputs, losses and parameter values. */
  readonly forward: number;
  /** Parameter gradients, gradient norms, clip coefficients and per-step parameter changes. */
  readonly gradient: number;
  /** Each value of a gradient-norm series: `|a - b| <= normSeries * |ref|`. */
  readonly normSeries: number;
}

/** What every backend with PyTorch semantics must meet against the float64 reference and the goldens. */
export const CONFORMANCE_TOLERANCES: Tolerances = Object.freeze({ forward: 1e-5, gradient: 1e-4, normSeries: 1e-3 });

/** What the float64 reference itself must meet against PyTorch's float64 goldens (through its float64 methods). */
export const REFERENCE_TOLERANCES: Tolerances = Object.freeze({ forward: 1e-9, gradient: 1e-9, normSeries: 1e-9 });
