import { z } from 'zod';
import { SpecError, type Issue } from './errors.js';
import { previewJson } from './json-preview.js';
import { toIssues } from './zod-issues.js';
import { convResidualSpecSchema, convSpecIssues, expandPreset, type ConvPreset, type ConvResidualSpec, type ConvResidualSpecInput } from './conv-spec.js';
import { budgetIssues, type ModelBudget } from './budget.js';

export const SPEC_VERSION = 1;

export const activations = ['relu', 'tanh', 'sigmoid', 'leakyRelu', 'gelu', 'linear'] as const;
/** `leakyRelu` has slope 0.01 (PyTorch), `gelu` is the exact erf form, `linear` the identity. */
export type Activation = (typeof activations)[number];

export const cellTypes = ['lstm', 'gru', 'rnn'] as const;
/** `lstm` (separate cell state), `gru` (PyTorch's reset-after form), `rnn` (tanh). */
export type CellType = (typeof cellTypes)[number];

export const residualVariants = ['dense', 'conv'] as const;
export type ResidualVariant = (typeof residualVariants)[number];

const size = z.number().int().min(1).max(65_536);

export const residualSpecSchema = z.strictObject({
  specVersion: z.literal(SPEC_VERSION).default(SPEC_VERSION),
  kind: z.literal('residual'),
  variant: z.literal('dense').default('dense'),
  inputSize: size,
  outputSize: size,
  width: size,
  depth: z.number().int().min(0).max(1024),
  block: z
    .strictObject({
      layers: z.number().int().min(1).max(64).default(1),
      activation: z.enum(activations).default('relu'),
      skip: z.enum(['identity', 'none']).default('identity'),
    })
    .prefault({}),
});

export const recurrentSpecSchema = z.strictObject({
  specVersion: z.literal(SPEC_VERSION).default(SPEC_VERSION),
  kind: z.literal('recurrent'),
  cell: z.enum(cellTypes),
  inputSize: size,
  hiddenSize: size,
  numLayers: z.number().int().min(1).max(64).default(1),
  outputSize: size,
});

/** Dense residual network: stem Linear+act, `depth` blocks `h <- h + f(h)` (or `h <- f(h)` when `skip: "none"`), Linear head. */
export type ResidualSpec = z.output<typeof residualSpecSchema>;
/** Stacked recurrent cells over batch-first input `[batch, T, inputSize]`, Linear readout of the top layer's last step. */
export type RecurrentSpec = z.output<typeof recurrentSpecSchema>;
export type NetworkSpec = ResidualSpec | RecurrentSpec;
/**
 * Every spec gradscope defines. `NetworkSpec` (dense residual and recurrent) is what every backend realized so far
 * takes; a `ModelSpec` may also be a convolutional residual net (`variant: "conv"`), which only backends declaring
 * `supports.residual.variants` "conv" accept.
 */
export type ModelSpec = NetworkSpec | ConvResidualSpec;
/** What a user may write: defaults (specVersion, variant, block fields, numLayers) may be left out. */
export type NetworkSpecInput = z.input<typeof residualSpecSchema> | z.input<typeof recurrentSpecSchema>;
/** What a user may write for any spec; a conv spec may be `{ preset, ...overrides }`. */
export type ModelSpecInput = NetworkSpecInput | ConvResidualSpecInput | ({ kind: 'residual'; variant: 'conv'; preset: ConvPreset } & Partial<ConvResidualSpecInput>);

const kinds = ['residual', 'recurrent'] as const;

/**
 * Validates a JSON value as a dense residual or recurrent spec, filling defaults. Throws a `SpecError` listing every
 * problem with its path. A convolutional spec is refused with a pointer to `parseModelSpec`, so code that handles
 * only `NetworkSpec` never receives one. `budget` bounds the model's size as in `parseModelSpec`.
 */
export function parseSpec(json: unknown, budget: ModelBudget = {}): NetworkSpec {
  if (isRecord(json) && json['kind'] === 'residual' && json['variant'] === 'conv') {
    throw new SpecError([{ path: 'variant', message: 'a convolutional spec ("conv") is a ModelSpec: parse it with parseModelSpec and run it on a backend that supports residual variant "conv"' }]);
  }
  return parseModelSpec(json, budget) as NetworkSpec; // the only other ModelSpec, conv, was refused above
}

function isRecord(json: unknown): json is Record<string, unknown> {
  return typeof json === 'object' && json !== null && !Array.isArray(json);
}

/**
 * Validates a JSON value as any spec (dense or convolutional residual, recurrent), filling defaults and expanding a
 * conv `preset`. Throws a `SpecError` listing every problem with its JSON path. A spec whose parameters or
 * activations (estimated for one example) exceed `budget` (default: 50M parameters, 2 GiB) is refused too, before
 * anything is allocated; pass `UNLIMITED_BUDGET` or a larger `maxParameters` / `maxActivationBytes` to allow it.
 */
export function parseModelSpec(json: unknown, budget: ModelBudget = {}): ModelSpec {
  const spec = parseSchema(json);
  const issues = budgetIssues(spec, budget);
  if (issues.length) throw new SpecError(issues);
  return spec;
}

function parseSchema(json: unknown): ModelSpec {
  if (!isRecord(json)) {
    throw new SpecError([{ path: '', message: `expected a JSON object, got ${Array.isArray(json) ? 'an array' : json === null ? 'null' : typeof json}` }]);
  }
  const kind = json['kind'];
  const issues: Issue[] = [];
  if (kind === 'residual' && json['variant'] === 'conv') {
    const expanded = expandPreset(json);
    issues.push(...expanded.issues);
    const result = convResidualSpecSchema.safeParse(expanded.json, { reportInput: true });
    if (result.success) issues.push(...convSpecIssues(result.data));
    else issues.push(...toIssues(result.error));
    if (!issues.length && result.success) return result.data;
  } else if (kind === 'residual') {
    if (json['variant'] !== undefined && json['variant'] !== 'dense') {
      issues.push({ path: 'variant', message: `expected one of ${residualVariants.join('|')}, got ${previewJson(json['variant'])}` });
    }
    const result = residualSpecSchema.safeParse(json, { reportInput: true });
    if (result.success && !issues.length) return result.data;
    if (!result.success) issues.push(...toIssues(result.error).filter((i) => i.path !== 'variant'));
  } else if (kind === 'recurrent') {
    const result = recurrentSpecSchema.safeParse(json, { reportInput: true });
    if (result.success) return result.data;
    issues.push(...toIssues(result.error));
  } else {
    issues.push({ path: 'kind', message: `expected one of ${kinds.join('|')}, got ${kind === undefined ? 'nothing' : JSON.stringify(kind)}` });
  }
  throw new SpecError(issues);
}

export function isResidual(spec: ModelSpec): spec is ResidualSpec {
  return spec.kind === 'residual' && spec.variant === 'dense';
}

export function isConvResidual(spec: ModelSpec): spec is ConvResidualSpec {
  return spec.kind === 'residual' && spec.variant === 'conv';
}

export function isRecurrent(spec: ModelSpec): spec is RecurrentSpec {
  return spec.kind === 'recurrent';
}

/** Gates per cell in PyTorch's stacked weight layout: LSTM `i,f,g,o`, GRU `r,z,n`, RNN one. */
export function gateCount(cell: CellType): number {
  return cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
}

/** A short human name such as `residual sigmoid depth 12 width 16`, `lstm 2x7` or `conv residual 8 blocks 16-32-64`. */
export function describeSpec(spec: ModelSpec): string {
  if (spec.kind === 'residual' && spec.variant === 'conv') {
    const blocks = spec.stages.reduce((n, s) => n + s.blocks, 0);
    const kind = spec.skip === 'identity' ? 'residual' : 'plain';
    const norm = spec.norm === 'batch' ? '' : ' no-norm';
    return `conv ${kind} ${blocks} blocks ${spec.stages.map((s) => s.channels).join('-')} ${spec.stem}${spec.skip === 'identity' ? ` ${spec.shortcut}` : ''}${norm}`;
  }
  if (spec.kind === 'residual') {
    const kind = spec.block.skip === 'identity' ? 'residual' : 'plain';
    return `${kind} ${spec.block.activation} depth ${spec.depth}${spec.block.layers > 1 ? `x${spec.block.layers}` : ''} width ${spec.width}`;
  }
  return `${spec.cell} ${spec.numLayers}x${spec.hiddenSize}`;
}
