import type { Checkpoint } from './checkpoint.js';
import { batchNormNames } from './conv-params.js';
import { SpecError, WeightsFormatError } from './errors.js';
import { optimizerSlotNames, type OptimizerState } from './optim.js';
import { paramShapes, validateParams, type ParamSet } from './params.js';
import { nullRecord } from './records.js';
import { checkFinite, decodeFloat32, decodeFloat64, parseSafetensors, serializeSafetensors, type SafetensorsEntry, type SafetensorsTensor } from './safetensors.js';
import { UNLIMITED_BUDGET } from './budget.js';
import { isConvResidual, parseModelSpec, type ModelSpec } from './spec.js';
import { formatShape, sizeOf } from './tensor.js';
import { parseTrainingConfig, type TrainingConfig } from './training.js';

/**
 * A checkpoint is one safetensors file: parameters as `param/<name>` (F32; for a conv spec the BatchNorm running
 * statistics too, and each BatchNorm's `param/<bn>.num_batches_tracked` as an I64 scalar, so `param/*` is the torch
 * `state_dict`), optimizer slots as `optim/<slot>/<name>` in their own precision (F32, or F64 for the float64
 * reference backend), and `__metadata__` with `format`, `spec` and `training_config` (JSON), `step` and `optimizer_step`.
 */
export const CHECKPOINT_FORMAT = 'gradscope-checkpoint/1';

const PARAM_PREFIX = 'param/';
const OPTIM_PREFIX = 'optim/';
const TRACKED = '.num_batches_tracked';

/** The BatchNorm layers of a spec whose `num_batches_tracked` a checkpoint carries (none for other specs). */
function trackedBatchNorms(spec: ModelSpec): string[] {
  return isConvResidual(spec) ? batchNormNames(spec) : [];
}

/** Writes a checkpoint as safetensors bytes. Throws `WeightsFormatError` for an optimizer slot that fits no parameter. */
export function serializeCheckpoint(checkpoint: Checkpoint): Uint8Array {
  const { spec, params, config, state } = checkpoint;
  const tensors: Record<string, SafetensorsTensor> = {};
  for (const [name, t] of Object.entries(params)) tensors[`${PARAM_PREFIX}${name}`] = t;
  const batchesTracked = BigInt(state.batchesTracked ?? 0);
  for (const bn of trackedBatchNorms(spec)) tensors[`${PARAM_PREFIX}${bn}${TRACKED}`] = { shape: [], data: BigInt64Array.of(batchesTracked) };
  for (const [slot, buffers] of Object.entries(state.optimizer.slots)) {
    if (slot.includes('/')) throw new WeightsFormatError(`optimizer slot name "${slot}" may not contain "/"`);
    for (const [name, data] of Object.entries(buffers)) {
      const param = params[name];
      if (!param || data.length !== param.data.length) {
        throw new WeightsFormatError(`optimizer slot ${slot} of "${name}" has ${data.length} values, but ${param ? `the parameter has ${param.data.length}` : 'there is no such parameter'}`);
      }
      tensors[`${OPTIM_PREFIX}${slot}/${name}`] = { shape: param.shape, data };
    }
  }
  return serializeSafetensors(tensors, {
    format: CHECKPOINT_FORMAT,
    spec: JSON.stringify(spec),
    training_config: JSON.stringify(config),
    step: String(state.step),
    optimizer_step: String(state.optimizer.step),
  });
}

function fail(source: string, message: string): never {
  throw new WeightsFormatError(`${source}: ${message}`);
}

function metadataJson(metadata: Readonly<Record<string, string>>, key: string, source: string): unknown {
  const text = metadata[key];
  if (text === undefined) fail(source, `__metadata__.${key} is missing`);
  try {
    return JSON.parse(text);
  } catch (e) {
    return fail(source, `__metadata__.${key} is not valid JSON (${(e as Error).message})`);
  }
}

function metadataCount(metadata: Readonly<Record<string, string>>, key: string, source: string): number {
  const text = metadata[key];
  if (text === undefined) fail(source, `__metadata__.${key} is missing`);
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) fail(source, `__metadata__.${key} must be a non-negative integer, got ${JSON.stringify(text)}`);
  return n;
}

/** Re-labels a spec or config error so the message says it came from this checkpoint. */
function withSource<T>(what: string, source: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof SpecError) throw new SpecError(e.issues, `${what} in ${source}`);
    throw e;
  }
}

/**
 * Reads a checkpoint written by `serializeCheckpoint`. Spec and training config are validated (`SpecError` naming the
 * checkpoint), parameters are checked against the spec (`ParamError`), and every structural problem is a
 * `WeightsFormatError` starting with `source`, as is a NaN or infinite weight or optimizer value (naming the tensor).
 * Optimizer slots come back in the precision they were saved in.
 */
export function parseCheckpoint(bytes: Uint8Array, source = 'checkpoint'): Checkpoint {
  const file = parseSafetensors(bytes, source);
  const { metadata } = file;
  if (metadata['format'] !== CHECKPOINT_FORMAT) {
    const found = metadata['format'] === undefined ? 'has no __metadata__.format' : `has __metadata__.format ${JSON.stringify(metadata['format'])}`;
    fail(source, `not a gradscope checkpoint: it ${found}, expected "${CHECKPOINT_FORMAT}"`);
  }
  // every parameter must be in the file (checked below), so the file's own size bounds the model: no budget here
  const spec: ModelSpec = withSource('spec', source, () => parseModelSpec(metadataJson(metadata, 'spec', source), UNLIMITED_BUDGET));
  const config: TrainingConfig = withSource('training config', source, () =>
    parseTrainingConfig(metadataJson(metadata, 'training_config', source)),
  );
  const step = metadataCount(metadata, 'step', source);
  const optimizerStep = metadataCount(metadata, 'optimizer_step', source);

  const expected = new Map(paramShapes(spec).map((p) => [p.name, p.shape]));
  const rawParams: ParamSet = nullRecord();
  const tracked = new Map<string, number>();
  const slots: OptimizerState['slots'] = nullRecord();
  for (const entry of file.entries) {
    if (entry.name.startsWith(PARAM_PREFIX) && entry.name.endsWith(TRACKED)) {
      tracked.set(entry.name.slice(PARAM_PREFIX.length, -TRACKED.length), readCount(entry, source));
    } else if (entry.name.startsWith(PARAM_PREFIX)) {
      const data = decodeFloat32(entry, source);
      checkFinite(data, entry.name, source);
      rawParams[entry.name.slice(PARAM_PREFIX.length)] = { shape: [...entry.shape], data };
    } else if (entry.name.startsWith(OPTIM_PREFIX) && entry.name.indexOf('/', OPTIM_PREFIX.length) > OPTIM_PREFIX.length) {
      const rest = entry.name.slice(OPTIM_PREFIX.length);
      const slot = rest.slice(0, rest.indexOf('/'));
      const name = rest.slice(slot.length + 1);
      if (!(optimizerSlotNames as readonly string[]).includes(slot)) {
        fail(source, `tensor "${entry.name}": unknown optimizer slot "${slot}" (expected one of ${optimizerSlotNames.join('|')})`);
      }
      if (entry.dtype !== 'F32' && entry.dtype !== 'F64') {
        fail(source, `tensor "${entry.name}": optimizer state must be F32 or F64, got ${entry.dtype}`);
      }
      const data = entry.dtype === 'F64' ? decodeFloat64(entry, source) : decodeFloat32(entry, source);
      checkFinite(data, entry.name, source); // a diverged run's state: resuming from it would only diverge again
      (slots[slot] ??= nullRecord())[name] = data;
      checkSlotShape(expected, entry.name, name, entry.shape, source);
    } else {
      fail(source, `unexpected tensor "${entry.name}" (a checkpoint holds param/<name> and optim/<slot>/<name>)`);
    }
  }
  const params = validateParams(spec, rawParams, `parameters in ${source}`);
  const batchesTracked = readBatchesTracked(trackedBatchNorms(spec), tracked, source);
  const state = { step, optimizer: { step: optimizerStep, slots }, ...(batchesTracked === undefined ? {} : { batchesTracked }) };
  return { spec, params, config, state };
}

/** A `num_batches_tracked` scalar: I64 as PyTorch writes it, a non-negative safe integer. */
function readCount(entry: SafetensorsEntry, source: string): number {
  if (entry.dtype !== 'I64' || entry.shape.length !== 0) {
    fail(source, `tensor "${entry.name}": expected an I64 scalar, got ${entry.dtype} ${formatShape(entry.shape)}`);
  }
  const value = new DataView(entry.bytes.buffer, entry.bytes.byteOffset, 8).getBigInt64(0, true);
  if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) fail(source, `tensor "${entry.name}": expected a non-negative count, got ${value}`);
  return Number(value);
}

/**
 * The one `num_batches_tracked` count of a conv spec's BatchNorm layers: every layer must have it, with the same
 * value (gradscope models keep one count, as a torch model trained only through its `forward` does).
 */
function readBatchesTracked(expected: readonly string[], found: ReadonlyMap<string, number>, source: string): number | undefined {
  const unexpected = [...found.keys()].filter((bn) => !expected.includes(bn));
  if (unexpected.length) fail(source, `the spec has no BatchNorm layer for ${unexpected.map((bn) => `"${PARAM_PREFIX}${bn}${TRACKED}"`).join(', ')}`);
  if (!expected.length) return undefined;
  const missing = expected.filter((bn) => !found.has(bn));
  if (missing.length) fail(source, `missing ${missing.map((bn) => `"${PARAM_PREFIX}${bn}${TRACKED}"`).join(', ')} (I64 scalars)`);
  const counts = expected.map((bn) => found.get(bn)!);
  const first = counts[0]!;
  const other = counts.findIndex((c) => c !== first);
  if (other >= 0) {
    fail(source, `num_batches_tracked differs between BatchNorm layers (${expected[0]}: ${first}, ${expected[other]}: ${counts[other]}); a gradscope model keeps one count for all of them`);
  }
  return first;
}

function checkSlotShape(
  expected: ReadonlyMap<string, readonly number[]>,
  tensorName: string,
  paramName: string,
  shape: readonly number[],
  source: string,
): void {
  const paramShape = expected.get(paramName);
  if (!paramShape) fail(source, `tensor "${tensorName}": the spec has no parameter "${paramName}"`);
  if (sizeOf(shape) !== sizeOf(paramShape)) {
    fail(source, `tensor "${tensorName}": shape ${formatShape(shape)} does not fit parameter "${paramName}" ${formatShape(paramShape)}`);
  }
}
