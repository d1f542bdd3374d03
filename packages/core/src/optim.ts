import { nullRecord } from './records.js';
import type { OptimizerSpec } from './training.js';
import type { NumericArray } from './tensor.js';

/**
 * Optimizer state with torch.optim's buffers: `momentum_buffer` for SGD, `exp_avg` and `exp_avg_sq` for Adam(W).
 * `slots[slot][paramName]` has the parameter's length; `step` counts the optimizer steps taken.
 */
/** Every slot an optimizer keeps (torch.optim's names); a checkpoint may hold no other. */
export const optimizerSlotNames = ['momentum_buffer', 'exp_avg', 'exp_avg_sq'] as const;

export interface OptimizerState {
  step: number;
  slots: Record<string, Record<string, NumericArray>>;
}

export function createOptimizerState(): OptimizerState {
  return { step: 0, slots: {} };
}

export function cloneOptimizerState(state: OptimizerState): OptimizerState {
  const slots: OptimizerState['slots'] = nullRecord();
  for (const [slot, bufs] of Object.entries(state.slots)) {
    slots[slot] = nullRecord();
    for (const [name, b] of Object.entries(bufs)) slots[slot][name] = b.slice();
  }
  return { step: state.step, slots };
}

function slot(state: OptimizerState, slotName: string, name: string, like: NumericArray): { buf: NumericArray; fresh: boolean } {
  const bufs = (state.slots[slotName] ??= {});
  const existing = bufs[name];
  if (existing) return { buf: existing, fresh: false };
  const buf = new (like.constructor as { new (n: number): NumericArray })(like.length);
  bufs[name] = buf;
  return { buf, fresh: true };
}

/** Squared norms of a parameter before the step and of its update, gathered inside the update loop for free. */
export interface UpdateSquares {
  weightSq: number;
  deltaSq: number;
}

/**
 * One optimizer step in place, with torch.optim's equations (arithmetic in float64, stored in the arrays' type).
 * `grads` are the already clipped gradients; `lr` is the scheduled rate for this step. Increments `state.step`.
 * With `squares`, it also records per parameter ||θ before||² and ||Δθ||² (Δθ as stored, after rounding) — read
 * in the same pass, so a monitored step needs no copy of the weights.
 */
export function applyOptimizer(
  spec: OptimizerSpec,
  state: OptimizerState,
  params: Record<string, NumericArray>,
  grads: Record<string, NumericArray>,
  lr: number,
  squares?: Record<string, UpdateSquares>,
): void {
  state.step += 1;
  const t = state.step;
  for (const [name, p] of Object.entries(params)) {
    const g = grads[name];
    if (!g) continue;
    let weightSq = 0;
    let deltaSq = 0;
    if (spec.type === 'sgd') {
      const { momentum, dampening, nesterov, weightDecay } = spec;
      const mom = momentum !== 0 ? slot(state, 'momentum_buffer', name, p) : undefined;
      if (!mom && !squares) {
        // Plain SGD, unmonitored: the commonest step, kept free of the branches below (same arithmetic).
        for (let i = 0; i < p.length; i++) p[i] = p[i]! - lr * (g[i]! + weightDecay * p[i]!);
        continue;
      }
      for (let i = 0; i < p.length; i++) {
        let d = g[i]! + weightDecay * p[i]!;
        if (mom) {
          const b = mom.fresh ? d : momentum * mom.buf[i]! + (1 - dampening) * d;
          mom.buf[i] = b;
          d = nesterov ? d + momentum * mom.buf[i]! : mom.buf[i]!;
        }
        const old = p[i]!;
        p[i] = old - lr * d;
        if (squares) {
          weightSq += old * old;
          deltaSq += (p[i]! - old) ** 2;
        }
      }
    } else {
      const [b1, b2] = spec.betas;
      const m = slot(state, 'exp_avg', name, p).buf;
      const v = slot(state, 'exp_avg_sq', name, p).buf;
      const bc1 = 1 - b1 ** t;
      const bc2Sqrt = Math.sqrt(1 - b2 ** t);
      const stepSize = lr / bc1;
      const decoupled = spec.type === 'adamw';
      for (let i = 0; i < p.length; i++) {
        const old = p[i]!;
        let pi = old;
        let gi = g[i]!;
        if (decoupled) pi *= 1 - lr * spec.weightDecay;
        else gi += spec.weightDecay * pi;
        const mi = b1 * m[i]! + (1 - b1) * gi;
        const vi = b2 * v[i]! + (1 - b2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        // eps after the square root and the bias correction, as torch.optim.Adam does.
        p[i] = pi - (stepSize * m[i]!) / (Math.sqrt(v[i]!) / bc2Sqrt + spec.eps);
        if (squares) {
          weightSq += old * old;
          deltaSq += (p[i]! - old) ** 2;
        }
      }
    }
    if (squares) squares[name] = { weightSq, deltaSq };
  }
}

/** float32's largest value, halved: a bound below it leaves room for the float64 → float32 rounding of the result. */
const SAFE_FLOAT32 = 3.4028234663852886e38 / 2;

/** What one read-only pass over a parameter tells a step: ||g||² and the max magnitudes its finiteness bound needs. */
export interface ParamScan {
  /** Sum of the gradient's squares, in float64 (NaN or Infinity when an element is). */
  gradSq: number;
  /** max |g| (NaN when an element is NaN). */
  grad: number;
  /** max |θ|. */
  weight: number;
  /** max |first-moment buffer| (SGD's momentum buffer, Adam's exp_avg); absent before the buffer exists. */
  moment?: number;
}

/** The first-moment slot whose magnitude bounds this optimizer's next update, if it keeps one. */
function momentSlot(spec: OptimizerSpec): string | undefined {
  if (spec.type !== 'sgd') return 'exp_avg';
  return spec.momentum === 0 ? undefined : 'momentum_buffer';
}

/**
 * One pass per parameter over its weights, gradient and first-moment buffer, read-only: everything a step needs
 * before it updates (the global norm from `gradSq`, the finiteness bound from the magnitudes). Two accumulators
 * of each kind let the loop run at memory speed instead of waiting on one chain of float64 additions.
 */
export function scanStep(spec: OptimizerSpec, state: OptimizerState, params: Record<string, NumericArray>, grads: Record<string, NumericArray>): Record<string, ParamScan> {
  const slotName = momentSlot(spec);
  const out: Record<string, ParamScan> = {};
  for (const [name, g] of Object.entries(grads)) {
    const p = params[name];
    if (!p) continue;
    const m = slotName ? state.slots[slotName]?.[name] : undefined;
    out[name] = { ...scanPair(g, p), ...(m && { moment: maxAbs(m) }) };
  }
  return out;
}

function scanPair(g: NumericArray, p: NumericArray): ParamScan {
  let s0 = 0;
  let s1 = 0;
  let g0 = 0;
  let g1 = 0;
  let w0 = 0;
  let w1 = 0;
  const even = g.length - (g.length % 2);
  for (let i = 0; i < even; i += 2) {
    const a = g[i]!;
    const b = g[i + 1]!;
    s0 += a * a;
    s1 += b * b;
    const ga = Math.abs(a);
    const gb = Math.abs(b);
    if (ga > g0 || ga !== ga) g0 = ga; // a NaN, once seen, stays: nothing compares greater than it
    if (gb > g1 || gb !== gb) g1 = gb;
    const wa = Math.abs(p[i]!);
    const wb = Math.abs(p[i + 1]!);
    if (wa > w0 || wa !== wa) w0 = wa;
    if (wb > w1 || wb !== wb) w1 = wb;
  }
  if (even < g.length) {
    const a = g[even]!;
    s0 += a * a;
    const ga = Math.abs(a);
    if (ga > g0 || ga !== ga) g0 = ga;
    const wa = Math.abs(p[even]!);
    if (wa > w0 || wa !== wa) w0 = wa;
  }
  return { gradSq: s0 + s1, grad: nanMax(g0, g1), weight: nanMax(w0, w1) };
}

function nanMax(a: number, b: number): number {
  return a <= b ? b : b <= a ? a : NaN;
}

function maxAbs(a: NumericArray): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]!);
    if (v > m || v !== v) m = v;
  }
  return m;
}

/**
 * Whether `applyOptimizer` provably leaves every weight finite in float32, from a step's scan (`scanStep`, with
 * `grad` already scaled by any clipping): |w'| <= |w| + lr·|d| with |d| bounded from the update rule (Adam's step by
 * `lr/bc1 · |m'| / eps`). False says only that the bound is not enough; the caller then keeps an undo copy and
 * checks the result.
 */
export function updateProvablyFinite(spec: OptimizerSpec, state: OptimizerState, scans: Record<string, ParamScan>, lr: number): boolean {
  const t = state.step + 1;
  for (const { weight: P, grad: G, moment } of Object.values(scans)) {
    let bound: number;
    if (spec.type === 'sgd') {
      const d = G + spec.weightDecay * P;
      const b = spec.momentum === 0 ? 0 : moment !== undefined ? spec.momentum * moment + (1 - spec.dampening) * d : d;
      const step = spec.momentum === 0 ? d : spec.nesterov ? d + spec.momentum * b : b;
      bound = P + Math.abs(lr) * step;
    } else {
      const [b1] = spec.betas;
      const decoupled = spec.type === 'adamw';
      const gi = decoupled ? G : G + spec.weightDecay * P;
      const mNew = b1 * (moment ?? 0) + (1 - b1) * gi;
      const shrunk = decoupled ? P * Math.abs(1 - lr * spec.weightDecay) : P;
      bound = shrunk + (Math.abs(lr) / (1 - b1 ** t)) * (mNew / spec.eps);
    }
    if (!(bound < SAFE_FLOAT32)) return false;
  }
  return true;
}
