import { SpecError } from './errors.js';
import { paramShapes, type ParamSet } from './params.js';
import { createRng, type RandomStream } from './random.js';
import type { ConvResidualSpec } from './conv-spec.js';
import type { ModelSpec, NetworkSpec } from './spec.js';
import { sizeOf } from './tensor.js';

export const initSchemes = ['pytorch', 'xavier', 'kaiming', 'orthogonal', 'normal'] as const;
/**
 * - `pytorch`: PyTorch's default distributions. `nn.Linear`: weight and bias U(-1/√fan_in, 1/√fan_in)
 *   (what `kaiming_uniform_(a=√5)` reduces to); `nn.LSTM`/`GRU`/`RNN`: every parameter U(-1/√hidden, 1/√hidden).
 * - `xavier`: Glorot uniform weights U(±√(6/(fan_in+fan_out))), zero biases.
 * - `kaiming`: He normal weights N(0, √(2/fan_in)) (gain for relu, fan_in mode), zero biases.
 * - `orthogonal`: each gate block of a recurrent `weight_hh` and each square residual block weight is a random
 *   orthogonal matrix (QR of a Gaussian matrix, signs fixed as `torch.nn.init.orthogonal_` does);
 *   the other weights (`weight_ih`, stem, head, fc) are Glorot uniform; biases are zero.
 * - `normal`: every weight N(0, std²) with `std` from the options (default 1), biases zero — the classic too-large
 *   initialization whose gradients explode (or saturate) with depth.
 *
 * Conv specs (`variant: "conv"`) take only `pytorch`, which for them means torchvision's ResNet initialization:
 * conv weights N(0, √(2/fan_out)) with fan_out = out_channels·k·k (`kaiming_normal_(mode="fan_out",
 * nonlinearity="relu")`), BatchNorm weight 1 and bias 0, running mean 0 and running variance 1, and the `fc` Linear
 * with PyTorch's default U(±1/√fan_in) for weight and bias.
 */
export type InitScheme = (typeof initSchemes)[number];

/**
 * How an LSTM's gate biases start (PyTorch's gate order i, f, g, o; slices of H rows each):
 * - `pytorch`: as the scheme draws them (PyTorch's default: U(±1/√H) like every other LSTM parameter);
 * - `constant`: the forget slice of every `bias_ih_l{k}` is `bias` and of `bias_hh_l{k}` 0 — Keras' `unit_forget_bias`
 *   (bias 1; Gers et al. 2000, Jozefowicz et al. 2015);
 * - `chrono`: Tallec & Ollivier 2018 — per unit `b_f = log(u)`, `u ~ U(1, tMax - 1)`, and the input-gate bias `-b_f`,
 *   in `bias_ih_l{k}` with `bias_hh_l{k}`'s input and forget slices 0. `tMax` is the longest dependency expected.
 * Written into PyTorch's bias layout, so PyTorch computes the same gates from the same state_dict.
 */
export type ForgetGateInit = { readonly type: 'pytorch' } | { readonly type: 'constant'; readonly bias: number } | { readonly type: 'chrono'; readonly tMax: number };

export interface InitOptions {
  /** Any safe integer. The same (spec, seed, scheme, forget-gate init) gives bit-identical weights everywhere. */
  readonly seed: number;
  readonly scheme?: InitScheme;
  /** `normal` only: the standard deviation of every weight (default 1). */
  readonly std?: number;
  /** LSTM only: shorthand for `forgetGate: { type: 'constant', bias: forgetBias }`. */
  readonly forgetBias?: number;
  /** LSTM only: how the gate biases start (default `pytorch`). */
  readonly forgetGate?: ForgetGateInit;
}

interface ParamRole {
  readonly name: string;
  readonly shape: readonly number[];
  /** Hidden size of a recurrent cell parameter (PyTorch's default depends on it rather than fan_in); 0 otherwise. */
  readonly hidden: number;
  readonly isBias: boolean;
  readonly fanIn: number;
  readonly fanOut: number;
  /** The square blocks that `orthogonal` fills: gate blocks of `weight_hh`, residual block weights. */
  readonly orthogonalBlocks: number;
}

function rolesOf(spec: NetworkSpec): ParamRole[] {
  const shapes = paramShapes(spec);
  const weightShape = new Map(shapes.map((p) => [p.name, p.shape]));
  return shapes.map(({ name, shape }) => {
    const isBias = shape.length === 1;
    // A bias takes the fans of the weight beside it (`x.bias` -> `x.weight`, `bias_ih_l0` -> `weight_ih_l0`).
    const w = isBias ? weightShape.get(name.replace(/bias(_\w+)?$/, 'weight$1'))! : shape;
    const hidden = spec.kind === 'recurrent' && name.startsWith(`${spec.cell}.`) ? spec.hiddenSize : 0;
    let orthogonalBlocks = 0;
    if (!isBias && hidden && name.includes('.weight_hh_')) orthogonalBlocks = w[0]! / hidden;
    if (!isBias && name.startsWith('blocks.')) orthogonalBlocks = 1;
    return { name, shape, hidden, isBias, fanIn: w[1]!, fanOut: w[0]!, orthogonalBlocks };
  });
}

function fillUniform(out: Float32Array, rng: RandomStream, bound: number): void {
  for (let i = 0; i < out.length; i++) out[i] = rng.uniform(-bound, bound);
}

function fillNormal(out: Float32Array, rng: RandomStream, std: number): void {
  for (let i = 0; i < out.length; i++) out[i] = rng.normal(0, std);
}

function glorotBound(role: ParamRole): number {
  return Math.sqrt(6 / (role.fanIn + role.fanOut));
}

/**
 * A random n×n orthogonal matrix (row-major, float64): Householder QR of a standard Gaussian matrix, with the
 * columns of Q multiplied by the signs of R's diagonal (as `torch.nn.init.orthogonal_`), which makes it Haar-uniform.
 */
export function randomOrthogonal(n: number, rng: RandomStream): Float64Array {
  const a = new Float64Array(n * n);
  for (let i = 0; i < a.length; i++) a[i] = rng.normal();
  const vs: Float64Array[] = [];
  for (let k = 0; k < n - 1; k++) {
    const v = new Float64Array(n - k);
    let norm2 = 0;
    for (let i = k; i < n; i++) norm2 += a[i * n + k]! ** 2;
    const x0 = a[k * n + k]!;
    const alpha = (x0 >= 0 ? -1 : 1) * Math.sqrt(norm2);
    for (let i = k; i < n; i++) v[i - k] = a[i * n + k]!;
    v[0] = x0 - alpha;
    let vNorm2 = 0;
    for (let i = 0; i < v.length; i++) vNorm2 += v[i]! ** 2;
    if (vNorm2 > 0) {
      const s = 1 / Math.sqrt(vNorm2);
      for (let i = 0; i < v.length; i++) v[i] = v[i]! * s;
      reflectRows(a, n, k, v, k);
    }
    vs.push(v);
  }
  // Q = H_0 H_1 ... H_{n-2}, applied to the identity from the right-most reflection. Before H_k is applied, Q is
  // still the identity outside rows and columns >= k+1, so columns < k stay untouched (exactly 0 in rows >= k).
  const q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) q[i * n + i] = 1;
  for (let k = vs.length - 1; k >= 0; k--) reflectRows(q, n, k, vs[k]!, k);
  for (let j = 0; j < n; j++) {
    if (a[j * n + j]! < 0) for (let i = 0; i < n; i++) q[i * n + j] = -q[i * n + j]!;
  }
  return q;
}

/** m[k:, c0:] -= 2 v (vᵀ m[k:, c0:]) for a unit vector v of length n-k; rows outermost so memory is read in order. */
function reflectRows(m: Float64Array, n: number, k: number, v: Float64Array, c0: number): void {
  const w = new Float64Array(n - c0);
  for (let i = k; i < n; i++) {
    const vi = v[i - k]!;
    const row = i * n + c0;
    for (let c = 0; c < w.length; c++) w[c] = w[c]! + vi * m[row + c]!;
  }
  for (let i = k; i < n; i++) {
    const f = 2 * v[i - k]!;
    const row = i * n + c0;
    for (let c = 0; c < w.length; c++) m[row + c] = m[row + c]! - f * w[c]!;
  }
}

function fillOrthogonalBlocks(out: Float32Array, rng: RandomStream, blocks: number, n: number): void {
  for (let b = 0; b < blocks; b++) out.set(randomOrthogonal(n, rng), b * n * n);
}

function fill(scheme: InitScheme, role: ParamRole, out: Float32Array, rng: RandomStream, std: number): void {
  switch (scheme) {
    case 'pytorch':
      fillUniform(out, rng, 1 / Math.sqrt(role.hidden || role.fanIn));
      return;
    case 'xavier':
      if (!role.isBias) fillUniform(out, rng, glorotBound(role));
      return;
    case 'kaiming':
      if (!role.isBias) fillNormal(out, rng, Math.sqrt(2 / role.fanIn));
      return;
    case 'orthogonal':
      if (role.isBias) return;
      if (role.orthogonalBlocks > 0) fillOrthogonalBlocks(out, rng, role.orthogonalBlocks, role.fanIn);
      else fillUniform(out, rng, glorotBound(role));
      return;
    case 'normal':
      if (!role.isBias) fillNormal(out, rng, std);
  }
}

/** The forget-gate init the options ask for, `forgetBias` read as a constant. */
function forgetGateOf(options: InitOptions): ForgetGateInit | undefined {
  if (options.forgetBias !== undefined) return { type: 'constant', bias: options.forgetBias };
  return options.forgetGate;
}

function checkOptions(spec: ModelSpec, options: InitOptions): InitScheme {
  const scheme = options.scheme ?? 'pytorch';
  const issues = [];
  if (options.std !== undefined && (scheme !== 'normal' || !(typeof options.std === 'number' && options.std > 0 && Number.isFinite(options.std)))) {
    const message = scheme !== 'normal' ? `applies only to the "normal" scheme, got scheme ${JSON.stringify(scheme)}` : `expected a positive finite number, got ${String(options.std)}`;
    issues.push({ path: 'std', message });
  }
  if (!Number.isSafeInteger(options.seed)) {
    issues.push({ path: 'seed', message: `expected a safe integer, got ${JSON.stringify(options.seed) ?? String(options.seed)}` });
  }
  if (!(initSchemes as readonly string[]).includes(scheme)) {
    issues.push({ path: 'scheme', message: `expected one of ${initSchemes.join('|')}, got ${JSON.stringify(scheme)}` });
  }
  if (spec.kind === 'residual' && spec.variant === 'conv' && scheme !== 'pytorch') {
    issues.push({ path: 'scheme', message: `a conv spec is initialized as torchvision's ResNet ("pytorch"), got ${JSON.stringify(scheme)}` });
  }
  if (options.forgetBias !== undefined && options.forgetGate !== undefined) {
    issues.push({ path: 'forgetBias', message: 'give either forgetBias or forgetGate, not both' });
  }
  const gate = forgetGateOf(options);
  const path = options.forgetBias !== undefined ? 'forgetBias' : 'forgetGate';
  if (gate !== undefined && gate.type !== 'pytorch') {
    if (spec.kind !== 'recurrent' || spec.cell !== 'lstm') {
      const what = spec.kind === 'recurrent' ? `a ${spec.cell.toUpperCase()} network` : 'a residual network';
      issues.push({ path, message: `applies only to LSTM cells, but the spec is ${what}` });
    } else if (gate.type === 'constant') {
      if (typeof gate.bias !== 'number' || !Number.isFinite(gate.bias)) issues.push({ path: options.forgetBias !== undefined ? path : 'forgetGate.bias', message: `expected a finite number, got ${String(gate.bias)}` });
    } else if (gate.type === 'chrono') {
      if (typeof gate.tMax !== 'number' || !(gate.tMax > 2) || !Number.isFinite(gate.tMax)) issues.push({ path: 'forgetGate.tMax', message: `expected a number above 2 (the longest time lag), got ${String(gate.tMax)}` });
    } else {
      issues.push({ path: 'forgetGate.type', message: `expected one of pytorch|constant|chrono, got ${JSON.stringify((gate as { type: unknown }).type)}` });
    }
  }
  if (issues.length) throw new SpecError(issues, 'init options');
  return scheme;
}

/**
 * Fresh float32 parameters for the spec, in `state_dict` order, seeded and deterministic across machines and Node
 * versions. Every parameter draws from its own sub-stream (`seed` -> parameter name), so adding a layer does not
 * change the weights of the others. Throws `SpecError` for an unknown scheme or a misplaced `forgetBias`.
 */
export function initParams(spec: ModelSpec, options: InitOptions): ParamSet {
  const scheme = checkOptions(spec, options);
  const root = createRng(options.seed).stream(`init/${scheme}`);
  if (spec.kind === 'residual' && spec.variant === 'conv') return initConvParams(spec, root);
  const params: ParamSet = {};
  for (const role of rolesOf(spec)) {
    const data = new Float32Array(sizeOf(role.shape));
    fill(scheme, role, data, root.stream(role.name), options.std ?? 1);
    params[role.name] = { shape: [...role.shape], data };
  }
  const gate = forgetGateOf(options);
  if (gate && gate.type !== 'pytorch' && spec.kind === 'recurrent') setLstmGateBiases(params, spec.hiddenSize, spec.numLayers, gate, createRng(options.seed).stream('init/forget-gate'));
  return params;
}

/** Writes a constant or chrono forget-gate init into every layer's `bias_ih`/`bias_hh` (see `ForgetGateInit`). */
function setLstmGateBiases(params: ParamSet, h: number, layers: number, gate: Exclude<ForgetGateInit, { type: 'pytorch' }>, rng: RandomStream): void {
  for (let k = 0; k < layers; k++) {
    const ih = params[`lstm.bias_ih_l${k}`]!.data;
    const hh = params[`lstm.bias_hh_l${k}`]!.data;
    if (gate.type === 'constant') {
      ih.fill(gate.bias, h, 2 * h);
      hh.fill(0, h, 2 * h);
      continue;
    }
    const layer = rng.stream(`l${k}`);
    for (let u = 0; u < h; u++) {
      const bf = Math.log(layer.uniform(1, gate.tMax - 1));
      ih[h + u] = bf;
      ih[u] = -bf;
    }
    hh.fill(0, 0, 2 * h);
  }
}

/** Parses the CLI's and URL's spelling of a forget-gate init: `pytorch`, `bias:<b>` or `chrono:<tMax>`. */
export function parseForgetGateInit(text: string): ForgetGateInit {
  const [kind, value, extra] = text.split(':');
  const n = Number(value);
  if (kind === 'pytorch' && value === undefined) return { type: 'pytorch' };
  if (kind === 'bias' && extra === undefined && value !== undefined && value !== '' && Number.isFinite(n)) return { type: 'constant', bias: n };
  if (kind === 'chrono' && extra === undefined && value !== undefined && n > 2 && Number.isFinite(n)) return { type: 'chrono', tMax: n };
  throw new SpecError([{ path: 'forgetGate', message: `expected pytorch, bias:<number> or chrono:<tMax above 2>, got ${JSON.stringify(text)}` }], 'init options');
}

/** The spelling `parseForgetGateInit` reads, for tables and labels: `pytorch`, `bias:1`, `chrono:200`. */
export function describeForgetGateInit(gate: ForgetGateInit | undefined): string {
  if (!gate || gate.type === 'pytorch') return 'pytorch';
  return gate.type === 'constant' ? `bias:${gate.bias}` : `chrono:${gate.tMax}`;
}

/** torchvision's ResNet initialization (see `InitScheme`), one sub-stream per tensor. */
function initConvParams(spec: ConvResidualSpec, root: RandomStream): ParamSet {
  const params: ParamSet = {};
  const shapes = paramShapes(spec);
  const fcIn = shapes.find((p) => p.name === 'fc.weight')!.shape[1]!;
  for (const { name, shape } of shapes) {
    const data = new Float32Array(sizeOf(shape));
    if (name.startsWith('fc.')) fillUniform(data, root.stream(name), 1 / Math.sqrt(fcIn));
    else if (shape.length === 4) fillNormal(data, root.stream(name), Math.sqrt(2 / (shape[0]! * shape[2]! * shape[3]!)));
    else if (name.endsWith('.weight') || name.endsWith('.running_var')) data.fill(1);
    params[name] = { shape: [...shape], data };
  }
  return params;
}
