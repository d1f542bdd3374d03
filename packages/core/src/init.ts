import { SpecError } from './errors.js';
import { paramShapes, type ParamSet } from './params.js';
import { createRng, type RandomStream } from './random.js';
import type { ConvResidualSpec } from './conv-spec.js';
import type { ModelSpec, NetworkSpec } from './spec.js';
import { sizeOf } from './tensor.js';

export const initSchemes = ['pytorch', 'xavier', 'kaiming', 'orthogonal'] as const;
/**
 * - `pytorch`: PyTorch's default distributions. `nn.Linear`: weight and bias U(-1/√fan_in, 1/√fan_in)
 *   (what `kaiming_uniform_(a=√5)` reduces to); `nn.LSTM`/`GRU`/`RNN`: every parameter U(-1/√hidden, 1/√hidden).
 * - `xavier`: Glorot uniform weights U(±√(6/(fan_in+fan_out))), zero biases.
 * - `kaiming`: He normal weights N(0, √(2/fan_in)) (gain for relu, fan_in mode), zero biases.
 * - `orthogonal`: each gate block of a recurrent `weight_hh` and each square residual block weight is a random
 *   orthogonal matrix (QR of a Gaussian matrix, signs fixed as `torch.nn.init.orthogonal_` does);
 *   the other weights (`weight_ih`, stem, head, fc) are Glorot uniform; biases are zero.
 *
 * Conv specs (`variant: "conv"`) take only `pytorch`, which for them means torchvision's ResNet initialization:
 * conv weights N(0, √(2/fan_out)) with fan_out = out_channels·k·k (`kaiming_normal_(mode="fan_out",
 * nonlinearity="relu")`), BatchNorm weight 1 and bias 0, running mean 0 and running variance 1, and the `fc` Linear
 * with PyTorch's default U(±1/√fan_in) for weight and bias.
 */
export type InitScheme = (typeof initSchemes)[number];

export interface InitOptions {
  /** Any safe integer. The same (spec, seed, scheme, forgetBias) gives bit-identical weights everywhere. */
  readonly seed: number;
  readonly scheme?: InitScheme;
  /** LSTM only: the forget-gate slice (rows H..2H) of every `bias_ih_l{k}` is set to this value, of `bias_hh_l{k}` to 0. */
  readonly forgetBias?: number;
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

function fill(scheme: InitScheme, role: ParamRole, out: Float32Array, rng: RandomStream): void {
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
  }
}

function checkOptions(spec: ModelSpec, options: InitOptions): InitScheme {
  const scheme = options.scheme ?? 'pytorch';
  const issues = [];
  if (!Number.isSafeInteger(options.seed)) {
    issues.push({ path: 'seed', message: `expected a safe integer, got ${JSON.stringify(options.seed) ?? String(options.seed)}` });
  }
  if (!(initSchemes as readonly string[]).includes(scheme)) {
    issues.push({ path: 'scheme', message: `expected one of ${initSchemes.join('|')}, got ${JSON.stringify(scheme)}` });
  }
  if (spec.kind === 'residual' && spec.variant === 'conv' && scheme !== 'pytorch') {
    issues.push({ path: 'scheme', message: `a conv spec is initialized as torchvision's ResNet ("pytorch"), got ${JSON.stringify(scheme)}` });
  }
  if (options.forgetBias !== undefined) {
    if (spec.kind !== 'recurrent' || spec.cell !== 'lstm') {
      const what = spec.kind === 'recurrent' ? `a ${spec.cell.toUpperCase()} network` : 'a residual network';
      issues.push({ path: 'forgetBias', message: `applies only to LSTM cells, but the spec is ${what}` });
    } else if (typeof options.forgetBias !== 'number' || !Number.isFinite(options.forgetBias)) {
      issues.push({ path: 'forgetBias', message: `expected a finite number, got ${String(options.forgetBias)}` });
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
    fill(scheme, role, data, root.stream(role.name));
    params[role.name] = { shape: [...role.shape], data };
  }
  if (options.forgetBias !== undefined && spec.kind === 'recurrent') {
    const h = spec.hiddenSize;
    for (let k = 0; k < spec.numLayers; k++) {
      params[`lstm.bias_ih_l${k}`]!.data.fill(options.forgetBias, h, 2 * h);
      params[`lstm.bias_hh_l${k}`]!.data.fill(0, h, 2 * h);
    }
  }
  return params;
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
