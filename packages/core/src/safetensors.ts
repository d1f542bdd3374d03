import { WeightsFormatError } from './errors.js';
import type { ParamSet } from './params.js';
import { previewJson } from './json-preview.js';
import { nullRecord } from './records.js';
import { formatShape } from './tensor.js';

/**
 * The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian header length N,
 * N bytes of JSON `{ name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__": { str: str } }`,
 * then the tensors' raw little-endian bytes, offsets relative to the end of the header, packed without gaps.
 */

const floatDtypes = ['F64', 'F32', 'F16', 'BF16'] as const;
const intDtypes = ['I64', 'I32', 'I16', 'I8', 'U64', 'U32', 'U16', 'U8', 'BOOL'] as const;
export type SafetensorsFloatDtype = (typeof floatDtypes)[number];
export type SafetensorsIntDtype = (typeof intDtypes)[number];
export type SafetensorsDtype = SafetensorsFloatDtype | SafetensorsIntDtype;

const dtypeBytes: Record<SafetensorsDtype, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1,
};

/** The reference implementation's limit; a larger header is treated as corrupt rather than read. */
export const MAX_SAFETENSORS_HEADER_BYTES = 100_000_000;

/** One tensor of a parsed file: its header entry and a view of its raw bytes (not yet decoded). */
export interface SafetensorsEntry {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  readonly bytes: Uint8Array;
}

export interface SafetensorsFile {
  /** Tensors in header order. */
  readonly entries: readonly SafetensorsEntry[];
  readonly metadata: Readonly<Record<string, string>>;
}

/** An integer tensor kept beside the parameters (e.g. BatchNorm's `num_batches_tracked`). */
export interface IntegerBuffer {
  readonly dtype: SafetensorsIntDtype;
  readonly shape: readonly number[];
  readonly values: readonly bigint[];
}

export interface SafetensorsParams {
  readonly params: ParamSet;
  /** Integer buffers of known names, which are not parameters. */
  readonly buffers: Readonly<Record<string, IntegerBuffer>>;
  readonly metadata: Readonly<Record<string, string>>;
}

/** A tensor to write: float32, float64 or int64 data (e.g. `num_batches_tracked`), stored with the matching dtype. */
export interface SafetensorsTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array | Float64Array | BigInt64Array;
}

/** Names of integer buffers that may appear in a weights file; anything else must be floating point. */
export function isKnownIntegerBuffer(name: string): boolean {
  return name === 'num_batches_tracked' || name.endsWith('.num_batches_tracked');
}

function fail(source: string, message: string): never {
  throw new WeightsFormatError(`${source}: ${message}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}


function readHeader(bytes: Uint8Array, source: string): { header: Record<string, unknown>; dataStart: number } {
  if (bytes.length < 8) fail(source, `not a safetensors file: ${bytes.length} bytes, shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const low = view.getUint32(0, true);
  const high = view.getUint32(4, true);
  const length = high * 2 ** 32 + low; // exact up to 2^53; anything near that is rejected below
  if (length > MAX_SAFETENSORS_HEADER_BYTES) {
    fail(source, `header length ${length} is larger than the ${MAX_SAFETENSORS_HEADER_BYTES}-byte limit (corrupt or not a safetensors file)`);
  }
  if (length > bytes.length - 8) {
    fail(source, `header length ${length} runs past the end of the file (${bytes.length} bytes): the file is truncated or not safetensors`);
  }
  if (length < 2) fail(source, `header length ${length} is too short for a JSON object`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + length));
  } catch {
    fail(source, 'header is not valid UTF-8');
  }
  if (!text.startsWith('{')) fail(source, `header does not start with a JSON object: ${previewJson(text.slice(0, 20))}`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    fail(source, `header is not valid JSON (${(e as Error).message})`);
  }
  if (!isRecord(header)) fail(source, 'header is not a JSON object');
  return { header, dataStart: 8 + length };
}

function readMetadata(value: unknown, source: string): Record<string, string> {
  if (value === undefined) return {};
  if (!isRecord(value)) fail(source, `__metadata__ must be an object of strings, got ${previewJson(value)}`);
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') fail(source, `__metadata__.${key} must be a string, got ${previewJson(v)}`);
  }
  return value as Record<string, string>;
}

interface RawEntry {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  readonly begin: number;
  readonly end: number;
}

function readEntry(name: string, value: unknown, dataLength: number, source: string): RawEntry {
  const where = `tensor "${name}"`;
  if (name === '__proto__') fail(source, 'a tensor may not be named "__proto__"');
  if (!isRecord(value)) fail(source, `${where}: expected an object with dtype, shape and data_offsets, got ${previewJson(value)}`);
  for (const key of Object.keys(value)) {
    if (key !== 'dtype' && key !== 'shape' && key !== 'data_offsets') fail(source, `${where}: unknown field "${key}"`);
  }
  const { dtype, shape, data_offsets: offsets } = value;
  if (dtype === undefined) fail(source, `${where}: missing field "dtype"`);
  if (typeof dtype !== 'string' || !Object.hasOwn(dtypeBytes, dtype)) {
    fail(source, `${where}: unsupported dtype ${previewJson(dtype)} (expected one of ${[...floatDtypes, ...intDtypes].join('|')})`);
  }
  if (shape === undefined) fail(source, `${where}: missing field "shape"`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    fail(source, `${where}: shape must be an array of non-negative integers, got ${previewJson(shape)}`);
  }
  if (offsets === undefined) fail(source, `${where}: missing field "data_offsets"`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    fail(source, `${where}: data_offsets must be [begin, end] with non-negative integers, got ${previewJson(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) fail(source, `${where}: data_offsets [${begin}, ${end}] end before they begin`);
  if (end > dataLength) {
    fail(source, `${where}: data_offsets [${begin}, ${end}] are out of range: the data section has ${dataLength} bytes`);
  }
  const elemBytes = dtypeBytes[dtype as SafetensorsDtype];
  // The product stays a float, so a huge shape cannot wrap around; it is compared, never allocated.
  const needed = (shape as number[]).reduce((n, d) => n * d, 1) * elemBytes;
  if (needed !== end - begin) {
    fail(source, `${where}: shape ${formatShape(shape as number[])} of ${dtype} needs ${needed} bytes, but data_offsets [${begin}, ${end}] hold ${end - begin}`);
  }
  return { name, dtype: dtype as SafetensorsDtype, shape: shape as number[], begin, end };
}

/** Offsets must tile the data section exactly: sorted, starting at 0, no overlap, no gap, no trailing bytes. */
function checkTiling(entries: readonly RawEntry[], dataLength: number, source: string): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let position = 0;
  let previous: RawEntry | undefined;
  for (const e of sorted) {
    if (e.begin < position) {
      fail(source, `tensor "${e.name}": data_offsets [${e.begin}, ${e.end}] overlap those of "${previous!.name}" [${previous!.begin}, ${previous!.end}]`);
    }
    if (e.begin > position) {
      fail(source, `tensor "${e.name}": data_offsets [${e.begin}, ${e.end}] leave a gap of ${e.begin - position} bytes after ${previous ? `"${previous.name}"` : 'the header'}`);
    }
    position = e.end;
    previous = e;
  }
  if (position !== dataLength) {
    fail(source, `the data section has ${dataLength} bytes but the tensors cover ${position}: ${dataLength - position} trailing bytes (truncated header or corrupt file)`);
  }
}

/**
 * Parses and checks the structure of a safetensors file without decoding values. Every problem is a
 * `WeightsFormatError` whose message starts with `source` and names the tensor or field.
 */
export function parseSafetensors(bytes: Uint8Array, source = 'safetensors data'): SafetensorsFile {
  const { header, dataStart } = readHeader(bytes, source);
  const metadata = readMetadata(header['__metadata__'], source);
  const dataLength = bytes.length - dataStart;
  const raw: RawEntry[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name !== '__metadata__') raw.push(readEntry(name, value, dataLength, source));
  }
  checkTiling(raw, dataLength, source);
  const entries = raw.map((e) => ({
    name: e.name, dtype: e.dtype, shape: e.shape, bytes: bytes.subarray(dataStart + e.begin, dataStart + e.end),
  }));
  return { entries, metadata };
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** IEEE half precision -> number (exact). */
function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Decodes a floating-point entry as float32 (F64 rounds to nearest; F16 and BF16 are exact). */
export function decodeFloat32(entry: SafetensorsEntry, source = 'safetensors data'): Float32Array {
  const view = viewOf(entry.bytes);
  const n = entry.bytes.length / dtypeBytes[entry.dtype];
  const out = new Float32Array(n);
  switch (entry.dtype) {
    case 'F32':
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
      return out;
    case 'F64':
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, true);
      return out;
    case 'F16':
      for (let i = 0; i < n; i++) out[i] = halfToNumber(view.getUint16(2 * i, true));
      return out;
    case 'BF16': {
      const word = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < n; i++) {
        word.setUint32(0, view.getUint16(2 * i, true) << 16, true);
        out[i] = word.getFloat32(0, true);
      }
      return out;
    }
    default:
      return fail(source, `tensor "${entry.name}": dtype ${entry.dtype} is not floating point`);
  }
}

/**
 * Refuses a tensor holding NaN or ±Infinity, naming the first bad value and how many there are, as JSON weights are
 * refused: a weight file is a model to load, and a non-finite weight only ever comes from a diverged run.
 */
export function checkFinite(data: Float32Array | Float64Array, name: string, source = 'safetensors data'): void {
  let first = -1;
  let count = 0;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) {
      if (first < 0) first = i;
      count++;
    }
  }
  if (first < 0) return;
  const more = count > 1 ? ` (${count} non-finite values in all)` : '';
  const kind = data instanceof Float64Array ? 'float64' : 'float32';
  fail(source, `tensor "${name}"[${first}]: ${data[first]} is not a finite ${kind} value${more}`);
}

/** Decodes an F64 entry exactly (as stored); other float dtypes are widened from float32. */
export function decodeFloat64(entry: SafetensorsEntry, source = 'safetensors data'): Float64Array {
  if (entry.dtype !== 'F64') return Float64Array.from(decodeFloat32(entry, source));
  const view = viewOf(entry.bytes);
  const out = new Float64Array(entry.bytes.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(8 * i, true);
  return out;
}

function decodeIntegers(entry: SafetensorsEntry & { dtype: SafetensorsIntDtype }): bigint[] {
  const view = viewOf(entry.bytes);
  const size = dtypeBytes[entry.dtype];
  const out: bigint[] = [];
  for (let at = 0; at < entry.bytes.length; at += size) {
    switch (entry.dtype) {
      case 'I64': out.push(view.getBigInt64(at, true)); break;
      case 'U64': out.push(view.getBigUint64(at, true)); break;
      case 'I32': out.push(BigInt(view.getInt32(at, true))); break;
      case 'U32': out.push(BigInt(view.getUint32(at, true))); break;
      case 'I16': out.push(BigInt(view.getInt16(at, true))); break;
      case 'U16': out.push(BigInt(view.getUint16(at, true))); break;
      case 'I8': out.push(BigInt(view.getInt8(at))); break;
      case 'U8': case 'BOOL': out.push(BigInt(view.getUint8(at))); break;
    }
  }
  return out;
}

function isIntDtype(dtype: SafetensorsDtype): dtype is SafetensorsIntDtype {
  return (intDtypes as readonly string[]).includes(dtype);
}

/**
 * Reads a safetensors weights file as float32 parameters (F64/F16/BF16 converted) plus the integer buffers of
 * known names (`*.num_batches_tracked`). An integer tensor of any other name, and a NaN or infinite value (also an F64
 * value that overflows float32), is a `WeightsFormatError` naming the tensor.
 * The result is not checked against a spec: `loadParams` does that.
 */
export function readSafetensorsParams(bytes: Uint8Array, source = 'safetensors data'): SafetensorsParams {
  const file = parseSafetensors(bytes, source);
  const params: ParamSet = nullRecord();
  const buffers: Record<string, IntegerBuffer> = nullRecord();
  for (const entry of file.entries) {
    if (isIntDtype(entry.dtype)) {
      if (!isKnownIntegerBuffer(entry.name)) {
        fail(source, `tensor "${entry.name}": integer dtype ${entry.dtype} is only accepted for known buffers (names ending in num_batches_tracked); parameters must be F32, F64, F16 or BF16`);
      }
      buffers[entry.name] = { dtype: entry.dtype, shape: entry.shape, values: decodeIntegers({ ...entry, dtype: entry.dtype }) };
    } else {
      const data = decodeFloat32(entry, source);
      checkFinite(data, entry.name, source);
      params[entry.name] = { shape: [...entry.shape], data };
    }
  }
  return { params, buffers, metadata: file.metadata };
}

/**
 * Writes tensors (in the given order) as one safetensors file: Float32Array as F32, Float64Array as F64,
 * BigInt64Array as I64.
 * The header is padded with spaces to a multiple of 8 bytes, as the reference writer does, so data stays aligned.
 */
export function serializeSafetensors(
  tensors: Readonly<Record<string, SafetensorsTensor>>,
  metadata: Readonly<Record<string, string>> = {},
): Uint8Array {
  const header: Record<string, unknown> = Object.create(null); // a tensor named "__proto__" is a key, not a prototype
  if (Object.keys(metadata).length) header['__metadata__'] = metadata;
  let offset = 0;
  const items = Object.entries(tensors);
  for (const [name, t] of items) {
    if (name === '__metadata__') throw new WeightsFormatError('a tensor cannot be named "__metadata__"');
    const expected = t.shape.reduce((n, d) => n * d, 1);
    if (t.data.length !== expected) {
      throw new WeightsFormatError(`tensor "${name}": shape ${formatShape(t.shape)} needs ${expected} values, got ${t.data.length}`);
    }
    const dtype = t.data instanceof Float64Array ? 'F64' : t.data instanceof BigInt64Array ? 'I64' : 'F32';
    const size = t.data.length * dtypeBytes[dtype];
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const withSpaces = new Uint8Array(padded).fill(0x20);
    withSpaces.set(json);
    json = withSpaces;
  }
  const out = new Uint8Array(8 + json.length + offset);
  const view = viewOf(out);
  view.setUint32(0, json.length, true);
  view.setUint32(4, 0, true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const [, t] of items) {
    if (t.data instanceof Float64Array) {
      for (let i = 0; i < t.data.length; i++, at += 8) view.setFloat64(at, t.data[i]!, true);
    } else if (t.data instanceof BigInt64Array) {
      for (let i = 0; i < t.data.length; i++, at += 8) view.setBigInt64(at, t.data[i]!, true);
    } else {
      for (let i = 0; i < t.data.length; i++, at += 4) view.setFloat32(at, t.data[i]!, true);
    }
  }
  return out;
}
