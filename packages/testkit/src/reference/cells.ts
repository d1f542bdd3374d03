import type { CellType } from '@gradscope/core';

// One timestep of each PyTorch cell, forward and backward, on `[batch, ...]` row-major arrays.
// `gi = W_ih x + b_ih` and `gh = W_hh h + b_hh` arrive precomputed as `[batch, gates·H]` with PyTorch's gate
// order along each row; the backward returns their gradients `dgi`, `dgh`, and the driver turns those into
// weight and input gradients. Only the GRU needs `gi` and `gh` apart (its reset gate multiplies `W_hn h + b_hn`).

/** What one timestep keeps for the backward pass. */
export interface StepTape {
  /** Activated gates `[batch, gates·H]`: LSTM i,f,g,o; GRU r,z,n; RNN the new h. */
  readonly gates: Float64Array;
  /** New hidden state `[batch, H]` (probe included). */
  readonly h: Float64Array;
  /** LSTM: new cell state c_t (probe included). GRU: `W_hn h + b_hn`. RNN: unused (empty). */
  readonly aux: Float64Array;
}

/** Gradients flowing through one timestep's backward. */
export interface StepGrads {
  /** In: total dL/dh_t. */
  readonly dh: Float64Array;
  /** In: dL/dc_t from c_{t+1} (LSTM). Out: total dL/dc_t. */
  readonly dc: Float64Array;
  /** Out: dL/dc_{t-1} through this step (LSTM). */
  readonly dcPrev: Float64Array;
  /** Out: dL/d(gi), `[batch, gates·H]`. */
  readonly dgi: Float64Array;
  /** Out: dL/d(gh), `[batch, gates·H]`. */
  readonly dgh: Float64Array;
  /** Out: the part of dL/dh_{t-1} that does not pass through `W_hh` (the GRU's `z ⊙ h` path); zero otherwise. */
  readonly dhPrevDirect: Float64Array;
}

export interface Cell {
  readonly gates: number;
  /** Computes the new state from `gi`, `gh` and the previous state; `cProbe` is added to the LSTM's c_t. */
  forward(gi: Float64Array, gh: Float64Array, hPrev: Float64Array, cPrev: Float64Array, batch: number, hidden: number, cProbe?: Float64Array): StepTape;
  backward(step: StepTape, hPrev: Float64Array, cPrev: Float64Array, g: StepGrads, batch: number, hidden: number): void;
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** `c_t = f ⊙ c_{t-1} + i ⊙ g`, `h_t = o ⊙ tanh(c_t)`, gates i,f,g,o. */
const lstm: Cell = {
  gates: 4,
  forward(gi, gh, _hPrev, cPrev, batch, H, cProbe) {
    const G = 4 * H;
    const gates = new Float64Array(batch * G);
    const h = new Float64Array(batch * H);
    const c = new Float64Array(batch * H);
    for (let b = 0; b < batch; b++) {
      const r = b * G;
      for (let u = 0; u < H; u++) {
        const i = sigmoid(gi[r + u]! + gh[r + u]!);
        const f = sigmoid(gi[r + H + u]! + gh[r + H + u]!);
        const gg = Math.tanh(gi[r + 2 * H + u]! + gh[r + 2 * H + u]!);
        const o = sigmoid(gi[r + 3 * H + u]! + gh[r + 3 * H + u]!);
        gates[r + u] = i;
        gates[r + H + u] = f;
        gates[r + 2 * H + u] = gg;
        gates[r + 3 * H + u] = o;
        const k = b * H + u;
        let ct = f * cPrev[k]! + i * gg;
        if (cProbe) ct += cProbe[k]!;
        c[k] = ct;
        h[k] = o * Math.tanh(ct);
      }
    }
    return { gates, h, aux: c };
  },
  backward(step, _hPrev, cPrev, g, batch, H) {
    const G = 4 * H;
    const { gates, aux: c } = step;
    for (let b = 0; b < batch; b++) {
      const r = b * G;
      for (let u = 0; u < H; u++) {
        const k = b * H + u;
        const i = gates[r + u]!;
        const f = gates[r + H + u]!;
        const gg = gates[r + 2 * H + u]!;
        const o = gates[r + 3 * H + u]!;
        const tc = Math.tanh(c[k]!);
        const dh = g.dh[k]!;
        const dc = g.dc[k]! + dh * o * (1 - tc * tc);
        g.dc[k] = dc;
        g.dcPrev[k] = dc * f;
        g.dgi[r + u] = dc * gg * i * (1 - i);
        g.dgi[r + H + u] = dc * cPrev[k]! * f * (1 - f);
        g.dgi[r + 2 * H + u] = dc * i * (1 - gg * gg);
        g.dgi[r + 3 * H + u] = dh * tc * o * (1 - o);
      }
    }
    g.dgh.set(g.dgi);
    g.dhPrevDirect.fill(0);
  },
};

/** PyTorch's GRU: `n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))`, `h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}`, gates r,z,n. */
const gru: Cell = {
  gates: 3,
  forward(gi, gh, hPrev, _cPrev, batch, H) {
    const G = 3 * H;
    const gates = new Float64Array(batch * G);
    const h = new Float64Array(batch * H);
    const ghn = new Float64Array(batch * H);
    for (let b = 0; b < batch; b++) {
      const r0 = b * G;
      for (let u = 0; u < H; u++) {
        const k = b * H + u;
        const r = sigmoid(gi[r0 + u]! + gh[r0 + u]!);
        const z = sigmoid(gi[r0 + H + u]! + gh[r0 + H + u]!);
        const hn = gh[r0 + 2 * H + u]!;
        const n = Math.tanh(gi[r0 + 2 * H + u]! + r * hn);
        gates[r0 + u] = r;
        gates[r0 + H + u] = z;
        gates[r0 + 2 * H + u] = n;
        ghn[k] = hn;
        h[k] = (1 - z) * n + z * hPrev[k]!;
      }
    }
    return { gates, h, aux: ghn };
  },
  backward(step, hPrev, _cPrev, g, batch, H) {
    const G = 3 * H;
    const { gates, aux: ghn } = step;
    for (let b = 0; b < batch; b++) {
      const r0 = b * G;
      for (let u = 0; u < H; u++) {
        const k = b * H + u;
        const r = gates[r0 + u]!;
        const z = gates[r0 + H + u]!;
        const n = gates[r0 + 2 * H + u]!;
        const dh = g.dh[k]!;
        const dnPre = dh * (1 - z) * (1 - n * n);
        const drPre = dnPre * ghn[k]! * r * (1 - r);
        const dzPre = dh * (hPrev[k]! - n) * z * (1 - z);
        g.dgi[r0 + u] = drPre;
        g.dgi[r0 + H + u] = dzPre;
        g.dgi[r0 + 2 * H + u] = dnPre;
        g.dgh[r0 + u] = drPre;
        g.dgh[r0 + H + u] = dzPre;
        g.dgh[r0 + 2 * H + u] = dnPre * r;
        g.dhPrevDirect[k] = dh * z;
      }
    }
  },
};

/** Elman RNN with tanh: `h_t = tanh(W_ih x + b_ih + W_hh h + b_hh)`. */
const rnn: Cell = {
  gates: 1,
  forward(gi, gh, _hPrev, _cPrev, batch, H) {
    const h = new Float64Array(batch * H);
    for (let k = 0; k < h.length; k++) h[k] = Math.tanh(gi[k]! + gh[k]!);
    return { gates: h, h: h.slice(), aux: new Float64Array(0) };
  },
  backward(step, _hPrev, _cPrev, g, batch, H) {
    const y = step.gates;
    for (let k = 0; k < batch * H; k++) g.dgi[k] = g.dh[k]! * (1 - y[k]! * y[k]!);
    g.dgh.set(g.dgi);
    g.dhPrevDirect.fill(0);
  },
};

const cells: Record<CellType, Cell> = { lstm, gru, rnn };

export function cellFor(type: CellType): Cell {
  return cells[type];
}
