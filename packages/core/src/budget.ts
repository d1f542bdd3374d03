import { SpecError, type Issue } from './errors.js';
import { convLayout, convOutSize, type ConvResidualSpec } from './conv-spec.js';
import { paramCount } from './params.js';
import type { ModelSpec } from './spec.js';

/**
 * How large a model a spec may describe. The schema bounds each field on its own (width <= 65536, depth <= 1024),
 * but not their product: a 76-byte spec can ask for 4e12 parameters. These limits are checked from the spec alone,
 * before anything is allocated; `Infinity` turns a limit off.
 */
export interface ModelBudget {
  /** Trainable parameters (default 50,000,000: 200 MB of float32 weights, about 1 GB while training with Adam). */
  readonly maxParameters?: number;
  /** Activations a forward pass keeps for the backward pass, float32, in bytes (default 2 GiB). */
  readonly maxActivationBytes?: number;
  /**
   * Layers in sequence, stem and head aside (the blocks' Linear layers of a dense net, the blocks' convolutions of a
   * conv net, recurrent layers; default 4096).
   * Cost per layer is not only memory: 1024 blocks x 64 layers of width 2 (393k parameters) took 123 s for one
   * tfjs gradient and over 120 s to compile on ONNX Runtime.
   */
  readonly maxLayers?: number;
}

export const DEFAULT_MAX_PARAMETERS = 50_000_000;
export const DEFAULT_MAX_ACTIVATION_BYTES = 2 ** 31;
export const DEFAULT_MAX_LAYERS = 4096;
/** No limit: for specs that were already checked, or whose size the caller has vouched for. */
export const UNLIMITED_BUDGET: ModelBudget = { maxParameters: Infinity, maxActivationBytes: Infinity, maxLayers: Infinity };

/** Batch size and sequence length, where they are known; the parse-time check assumes 1 of each. */
export interface BudgetDims {
  readonly batch?: number;
  readonly timesteps?: number;
}

/** One additive part of an estimate, with the spec field that drives it and how it is made up. */
interface Term {
  readonly path: string;
  readonly value: number;
  readonly formula: string;
}

export interface ModelSizeEstimate {
  readonly parameters: number;
  /** float32 bytes of the kept activations for `dims` (1 example, 1 timestep when not given). */
  readonly activationBytes: number;
  /** Layers in sequence: Linear layers (dense), convolutions on the main path (conv), or recurrent layers. */
  readonly layers: number;
  /** The spec field behind the layer count and how it is made up, e.g. `depth` and `depth 1024 x block.layers 64`. */
  readonly layerField: string;
  readonly layerFormula: string;
  /** The spec field behind the largest parameter term, e.g. `width`, `hiddenSize`, `stages[2].channels`. */
  readonly parameterField: string;
  readonly activationField: string;
  /** `width 65536 x width 65536 x depth 1024 x block.layers 1` */
  readonly parameterFormula: string;
  readonly activationFormula: string;
}

const largest = (terms: readonly Term[]): Term => terms.reduce((a, b) => (b.value > a.value ? b : a));
const sum = (terms: readonly Term[]): number => terms.reduce((n, t) => n + t.value, 0);

function convTerms(spec: ConvResidualSpec): { params: Term[]; acts: Term[] } {
  const { stemSize, blocks } = convLayout(spec);
  const c0 = spec.stages[0]!.channels;
  const [h, w] = spec.inputSize;
  // per example: the input, the stem's conv/norm/relu outputs (at the pre-pool size), then about six maps per block
  const preStem = spec.stem === 'cifar' ? stemSize : [convOutSize(h, 7, 2, 3), convOutSize(w, 7, 2, 3)];
  const params: Term[] = [];
  const acts: Term[] = [
    { path: 'inputSize', value: spec.inputChannels * h * w + 3 * c0 * preStem[0]! * preStem[1]!, formula: `input ${spec.inputChannels}x${h}x${w} and stem maps of ${c0}x${preStem[0]}x${preStem[1]}` },
  ];
  let first = 0; // convLayout lists the blocks stage by stage
  spec.stages.forEach((stage, s) => {
    const mine = blocks.slice(first, (first += stage.blocks));
    const c = stage.channels;
    const [oh, ow] = mine.at(-1)!.outSize;
    params.push({ path: `stages[${s}].channels`, value: mine.reduce((n, b) => n + 9 * b.outChannels * (b.inChannels + b.outChannels), 0), formula: `stages[${s}]: ${stage.blocks} blocks x 3x3 convs of ${c} channels` });
    // name whichever drives the maps: the image size (inputSize) or the stage's channels
    acts.push({ path: oh * ow >= c ? 'inputSize' : `stages[${s}].channels`, value: mine.reduce((n, b) => n + 6 * b.outChannels * b.outSize[0] * b.outSize[1], 0), formula: `stages[${s}]: ${stage.blocks} blocks x 6 maps of ${c}x${oh}x${ow} (inputSize ${h}x${w})` });
  });
  // the rest of the exact count (paramCount enumerates at most 16 x 256 blocks: cheap even for absurd channel counts)
  const rest = paramCount(spec) - sum(params);
  params.push({ path: 'inputChannels', value: Math.max(0, rest), formula: `stem, head, norms and shortcuts with inputChannels ${spec.inputChannels}, stages[0].channels ${c0}` });
  return { params, acts };
}

function terms(spec: ModelSpec): { params: Term[]; acts: Term[] } {
  if (spec.kind === 'residual' && spec.variant === 'conv') return convTerms(spec);
  if (spec.kind === 'residual') {
    const { inputSize: i, width: w, depth: d, outputSize: o } = spec;
    const k = spec.block.layers;
    return {
      params: [
        { path: 'inputSize', value: w * (i + 1), formula: `stem: inputSize ${i} x width ${w}` },
        { path: 'width', value: d * k * w * (w + 1), formula: `blocks: width ${w} x width ${w} x depth ${d} x block.layers ${k}` },
        { path: 'outputSize', value: o * (w + 1), formula: `head: width ${w} x outputSize ${o}` },
      ],
      // each Linear+act keeps its pre-activation and its output
      acts: [
        { path: 'inputSize', value: i, formula: `input ${i}` },
        { path: 'width', value: 2 * w * (1 + d * k), formula: `2 x width ${w} x (1 + depth ${d} x block.layers ${k})` },
        { path: 'outputSize', value: o, formula: `outputSize ${o}` },
      ],
    };
  }
  const { cell, inputSize: i, hiddenSize: h, numLayers: l, outputSize: o } = spec;
  const g = cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
  return {
    params: [
      { path: 'inputSize', value: g * h * (i + 2), formula: `layer 0 input weights: ${g} gates x hiddenSize ${h} x inputSize ${i}` },
      { path: 'hiddenSize', value: g * h * (h + (l - 1) * (2 * h + 2)), formula: `${g} gates x hiddenSize ${h} x hiddenSize ${h} x (2 x numLayers ${l} - 1)` },
      { path: 'outputSize', value: o * (h + 1), formula: `readout: hiddenSize ${h} x outputSize ${o}` },
    ],
    // per timestep: each layer's gates and its state (h, and c for an LSTM)
    acts: [
      { path: 'inputSize', value: i, formula: `inputSize ${i}` },
      { path: 'hiddenSize', value: l * h * (g + 2), formula: `numLayers ${l} x hiddenSize ${h} x ${g + 2} (gates and state)` },
    ],
  };
}

function layerCount(spec: ModelSpec): Pick<ModelSizeEstimate, 'layers' | 'layerField' | 'layerFormula'> {
  if (spec.kind === 'recurrent') return { layers: spec.numLayers, layerField: 'numLayers', layerFormula: `numLayers ${spec.numLayers}` };
  if (spec.variant === 'conv') {
    const blocks = spec.stages.reduce((n, s) => n + s.blocks, 0);
    return { layers: 2 * blocks, layerField: 'stages', layerFormula: `2 convolutions x ${blocks} blocks` };
  }
  const { depth, block } = spec;
  return { layers: depth * block.layers, layerField: 'depth', layerFormula: `depth ${depth} x block.layers ${block.layers}` };
}

/** Parameters, activation memory and layer count of a spec, computed from its fields without allocating anything. */
export function estimateModelSize(spec: ModelSpec, dims: BudgetDims = {}): ModelSizeEstimate {
  const t = terms(spec);
  const batch = dims.batch ?? 1;
  const steps = spec.kind === 'recurrent' ? (dims.timesteps ?? 1) : 1;
  const p = largest(t.params);
  const a = largest(t.acts);
  const scale = [spec.kind === 'recurrent' && dims.timesteps !== undefined ? ` x T ${steps}` : '', dims.batch !== undefined ? ` x batch ${batch}` : ''].join('');
  return {
    parameters: spec.kind === 'residual' && spec.variant === 'conv' ? paramCount(spec) : sum(t.params),
    activationBytes: 4 * sum(t.acts) * steps * batch,
    ...layerCount(spec),
    parameterField: p.path,
    activationField: a.path,
    parameterFormula: p.formula,
    activationFormula: `${a.formula}${scale} x 4 bytes`,
  };
}

function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toPrecision(3)} ${units[i]}`;
}

const formatCount = (n: number): string => (n < 1e15 ? Math.round(n).toLocaleString('en-US') : n.toExponential(2));

/** The budget problems of a spec (none when it fits), each at the field that drives the estimate. */
export function budgetIssues(spec: ModelSpec, budget: ModelBudget = {}, dims: BudgetDims = {}): Issue[] {
  const maxParameters = budget.maxParameters ?? DEFAULT_MAX_PARAMETERS;
  const maxBytes = budget.maxActivationBytes ?? DEFAULT_MAX_ACTIVATION_BYTES;
  const maxLayers = budget.maxLayers ?? DEFAULT_MAX_LAYERS;
  const e = estimateModelSize(spec, dims);
  const issues: Issue[] = [];
  if (e.parameters > maxParameters) {
    issues.push({
      path: e.parameterField,
      message: `the model would have ${formatCount(e.parameters)} parameters (largest part ${e.parameterFormula}), over the limit of ${formatCount(maxParameters)}; raise it with the maxParameters option (CLI --max-params)`,
    });
  }
  if (e.layers > maxLayers) {
    issues.push({
      path: e.layerField,
      message: `the model would have ${formatCount(e.layers)} layers in sequence (${e.layerFormula}), over the limit of ${formatCount(maxLayers)}; raise it with the maxLayers option (CLI --max-layers)`,
    });
  }
  if (e.activationBytes > maxBytes) {
    const per = dims.batch === undefined ? ' for one example' : '';
    issues.push({
      path: e.activationField,
      message: `the activations kept for the backward pass would take ${formatBytes(e.activationBytes)}${per} (largest part ${e.activationFormula}), over the limit of ${formatBytes(maxBytes)}; raise it with the maxActivationBytes option (CLI --max-activation-bytes)`,
    });
  }
  return issues;
}

/** Throws a `SpecError` (`what` names the spec, e.g. `spec "net.json"`) when the spec is over the budget. */
export function checkModelBudget(spec: ModelSpec, budget: ModelBudget = {}, dims: BudgetDims = {}, what = 'spec'): void {
  const issues = budgetIssues(spec, budget, dims);
  if (issues.length) throw new SpecError(issues, what);
}
