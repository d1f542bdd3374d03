import type { RecurrentSpec } from '@gradscope/core';
import { cellFor, type StepGrads, type StepTape } from './cells.js';
import { addBias, addBiasGrad, addInto, addMatMul, addMatMulTransposed, addWeightGrad, linear, norm } from './linalg.js';
import { param, zerosLike, type Params64 } from './params64.js';

/** Everything the backward pass of a stacked recurrent net needs. */
export interface RecurrentTape {
  readonly batch: number;
  readonly steps: number;
  /** The input split per timestep: `inputs[t]` is x_t, `[batch, inputSize]`. */
  readonly inputs: Float64Array[];
  /** `layers[l][t]`: what layer l kept at timestep t. */
  readonly layers: StepTape[][];
  /** `[batch, outputSize]`: fc of the top layer's last hidden state. */
  readonly output: Float64Array;
}

export interface RecurrentGradients {
  readonly grads: Params64;
  /** Total ||dL/dh_t|| through the recurrence, `[numLayers][T]`. */
  readonly hiddenGradNorms: number[][];
  /** LSTM only: total ||dL/dc_t||, `[numLayers][T]`. */
  readonly cellGradNorms?: number[][];
  /** ||dL/dx_t||, `[T]`. */
  readonly inputGradNorms: number[];
}

/**
 * Additive perturbations (zero when absent) of h_t and (LSTM) c_t of layer l, indexed `[l][t]`, each `[batch, H]`.
 * The gradient of the loss with respect to a probe at zero is the total gradient of that state — what
 * `retain_grad()` gives on an unrolled PyTorch loop — which is how the tests check the report's norms.
 */
export interface RecurrentProbes {
  readonly hidden?: readonly (readonly (Float64Array | undefined)[] | undefined)[];
  readonly cell?: readonly (readonly (Float64Array | undefined)[] | undefined)[];
}

const prefix = (spec: RecurrentSpec, l: number) => ({
  wih: `${spec.cell}.weight_ih_l${l}`,
  whh: `${spec.cell}.weight_hh_l${l}`,
  bih: `${spec.cell}.bias_ih_l${l}`,
  bhh: `${spec.cell}.bias_hh_l${l}`,
});

/** Splits batch-first `[batch, T, in]` into T contiguous `[batch, in]` arrays. */
function splitTimesteps(input: Float64Array, batch: number, steps: number, inF: number): Float64Array[] {
  const out: Float64Array[] = [];
  for (let t = 0; t < steps; t++) {
    const xt = new Float64Array(batch * inF);
    for (let b = 0; b < batch; b++) xt.set(input.subarray((b * steps + t) * inF, (b * steps + t + 1) * inF), b * inF);
    out.push(xt);
  }
  return out;
}

/** Forward pass: stacked cells over batch-first input from a zero state, fc on the top layer's last h. */
export function recurrentForward(
  spec: RecurrentSpec,
  params: Params64,
  input: Float64Array,
  batch: number,
  steps: number,
  probes?: RecurrentProbes,
): RecurrentTape {
  const H = spec.hiddenSize;
  const cell = cellFor(spec.cell);
  const G = cell.gates * H;
  const inputs = splitTimesteps(input, batch, steps, spec.inputSize);
  const zero = new Float64Array(batch * H);
  const layers: StepTape[][] = [];
  let seq = inputs;
  for (let l = 0; l < spec.numLayers; l++) {
    const n = prefix(spec, l);
    const inF = l === 0 ? spec.inputSize : H;
    const [wih, whh, bih, bhh] = [param(params, n.wih), param(params, n.whh), param(params, n.bih), param(params, n.bhh)];
    const tape: StepTape[] = [];
    let hPrev: Float64Array = zero;
    let cPrev: Float64Array = zero;
    for (let t = 0; t < steps; t++) {
      const gi = linear(seq[t]!, wih, bih, batch, inF, G);
      const gh = new Float64Array(batch * G);
      addBias(gh, bhh, batch, G);
      addMatMulTransposed(gh, hPrev, whh, batch, H, G);
      const step = cell.forward(gi, gh, hPrev, cPrev, batch, H, probes?.cell?.[l]?.[t]);
      const hProbe = probes?.hidden?.[l]?.[t];
      if (hProbe) addInto(step.h, hProbe);
      tape.push(step);
      hPrev = step.h;
      cPrev = spec.cell === 'lstm' ? step.aux : zero;
    }
    layers.push(tape);
    seq = tape.map((s) => s.h);
  }
  const hLast = layers[spec.numLayers - 1]![steps - 1]!.h;
  const output = linear(hLast, param(params, 'fc.weight'), param(params, 'fc.bias'), batch, H, spec.outputSize);
  return { batch, steps, inputs, layers, output };
}

/**
 * Exact backpropagation through time given dL/d(output). Layers are processed top-down: for layer l the
 * gradient arriving at h_t from above (layer l+1's input gradient, or fc at the top's last step) is added to the
 * gradient from h_{t+1}, so the recorded dL/dh_t is the total one.
 */
export function recurrentBackward(spec: RecurrentSpec, params: Params64, tape: RecurrentTape, dOutput: Float64Array): RecurrentGradients {
  const { batch, steps } = tape;
  const H = spec.hiddenSize;
  const L = spec.numLayers;
  const cell = cellFor(spec.cell);
  const G = cell.gates * H;
  const grads = zerosLike(spec);
  const zero = new Float64Array(batch * H);

  // From above: ext[t] is the gradient reaching h_t of the current layer from outside its own recurrence.
  let ext = Array.from({ length: steps }, () => new Float64Array(batch * H));
  const top = tape.layers[L - 1]!;
  addWeightGrad(grads['fc.weight']!, dOutput, top[steps - 1]!.h, batch, H, spec.outputSize);
  addBiasGrad(grads['fc.bias']!, dOutput, batch, spec.outputSize);
  addMatMul(ext[steps - 1]!, dOutput, param(params, 'fc.weight'), batch, H, spec.outputSize);

  const hiddenGradNorms: number[][] = [];
  const cellGradNorms: number[][] = [];
  const g: StepGrads = {
    dh: new Float64Array(batch * H),
    dc: new Float64Array(batch * H),
    dcPrev: new Float64Array(batch * H),
    dgi: new Float64Array(batch * G),
    dgh: new Float64Array(batch * G),
    dhPrevDirect: new Float64Array(batch * H),
  };
  for (let l = L - 1; l >= 0; l--) {
    const n = prefix(spec, l);
    const inF = l === 0 ? spec.inputSize : H;
    const [wih, whh] = [param(params, n.wih), param(params, n.whh)];
    const [dwih, dwhh, dbih, dbhh] = [grads[n.wih]!, grads[n.whh]!, grads[n.bih]!, grads[n.bhh]!];
    const layer = tape.layers[l]!;
    const below = l === 0 ? tape.inputs : tape.layers[l - 1]!.map((s) => s.h);
    const toBelow = Array.from({ length: steps }, () => new Float64Array(batch * inF));
    const hNorms = new Array<number>(steps);
    const cNorms = new Array<number>(steps);
    let dhRec = new Float64Array(batch * H); // dL/dh_t arriving from step t+1
    g.dc.fill(0);
    for (let t = steps - 1; t >= 0; t--) {
      const step = layer[t]!;
      const hPrev = t > 0 ? layer[t - 1]!.h : zero;
      const cPrev = spec.cell === 'lstm' && t > 0 ? layer[t - 1]!.aux : zero;
      for (let k = 0; k < g.dh.length; k++) g.dh[k] = ext[t]![k]! + dhRec[k]!;
      hNorms[t] = norm(g.dh);
      cell.backward(step, hPrev, cPrev, g, batch, H);
      cNorms[t] = norm(g.dc);
      g.dc.set(g.dcPrev);
      addWeightGrad(dwih, g.dgi, below[t]!, batch, inF, G);
      addBiasGrad(dbih, g.dgi, batch, G);
      addWeightGrad(dwhh, g.dgh, hPrev, batch, H, G);
      addBiasGrad(dbhh, g.dgh, batch, G);
      addMatMul(toBelow[t]!, g.dgi, wih, batch, inF, G);
      dhRec = g.dhPrevDirect.slice();
      addMatMul(dhRec, g.dgh, whh, batch, H, G);
    }
    hiddenGradNorms[l] = hNorms;
    cellGradNorms[l] = cNorms;
    ext = toBelow;
  }
  const inputGradNorms = ext.map(norm);
  return spec.cell === 'lstm'
    ? { grads, hiddenGradNorms, cellGradNorms, inputGradNorms }
    : { grads, hiddenGradNorms, inputGradNorms };
}
