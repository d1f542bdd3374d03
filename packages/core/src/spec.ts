import { z } from 'zod';
import { SpecError, type Issue } from './errors.js';
import { toIssues } from './zod-issues.js';

export const SPEC_VERSION = 1;

export const activations = ['relu', 'tanh', 'sigmoid', 'leakyRelu', 'gelu', 'linear'] as const;
/** `leakyRelu` has slope 0.01 (PyTorch), `gelu` is the exact erf form, `linear` the identity. */
export type Activation = (typeof activations)[number];

export const cellTypes = ['lstm', 'gru', 'rnn'] as const;
/** `lstm` (separate cell state), `gru` (PyTorch's reset-after form), `rnn` (tanh). */
export type CellType = (typeof cellTypes)[number];

export const residualVariants = ['dense'] as const;
export type ResidualVariant = (typeof residualVariants)[number];

const size = z.number().int().min(1).max(65_536);

export const residualSpecSchema = z.strictObject({
  specVersion: z.literal(SPEC_VERSION).default(SPEC_VERSION),
  kind: z.literal('residual'),
  variant: z.enum(residualVariants).default('dense'),
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
/** What a user may write: defaults (specVersion, variant, block fields, numLayers) may be left out. */
export type NetworkSpecInput = z.input<typeof residualSpecSchema> | z.input<typeof recurrentSpecSchema>;

const kinds = ['residual', 'recurrent'] as const;

/** Validates a JSON value as a network spec, filling defaults. Throws a `SpecError` listing every problem with its path. */
export function parseSpec(json: unknown): NetworkSpec {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new SpecError([{ path: '', message: `expected a JSON object, got ${Array.isArray(json) ? 'an array' : json === null ? 'null' : typeof json}` }]);
  }
  const kind = (json as { kind?: unknown }).kind;
  const issues: Issue[] = [];
  if (kind === 'residual') {
    const variant = (json as { variant?: unknown }).variant;
    if (variant === 'conv') {
      throw new SpecError([{ path: 'variant', message: 'the convolutional variant "conv" is not available yet (expected dense)' }]);
    }
    const result = residualSpecSchema.safeParse(json, { reportInput: true });
    if (result.success) return result.data;
    issues.push(...toIssues(result.error));
  } else if (kind === 'recurrent') {
    const result = recurrentSpecSchema.safeParse(json, { reportInput: true });
    if (result.success) return result.data;
    issues.push(...toIssues(result.error));
  } else {
    issues.push({ path: 'kind', message: `expected one of ${kinds.join('|')}, got ${kind === undefined ? 'nothing' : JSON.stringify(kind)}` });
  }
  throw new SpecError(issues);
}

export function isResidual(spec: NetworkSpec): spec is ResidualSpec {
  return spec.kind === 'residual';
}

export function isRecurrent(spec: NetworkSpec): spec is RecurrentSpec {
  return spec.kind === 'recurrent';
}

/** Gates per cell in PyTorch's stacked weight layout: LSTM `i,f,g,o`, GRU `r,z,n`, RNN one. */
export function gateCount(cell: CellType): number {
  return cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
}

/** A short human name such as `residual sigmoid 12x1 w16` or `lstm 2x7`. */
export function describeSpec(spec: NetworkSpec): string {
  if (spec.kind === 'residual') {
    const kind = spec.block.skip === 'identity' ? 'residual' : 'plain';
    return `${kind} ${spec.block.activation} depth ${spec.depth}${spec.block.layers > 1 ? `x${spec.block.layers}` : ''} width ${spec.width}`;
  }
  return `${spec.cell} ${spec.numLayers}x${spec.hiddenSize}`;
}
