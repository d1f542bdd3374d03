import { readFile } from 'node:fs/promises';
import { formatShape, GradscopeError, ShapeError, sizeOf, type ParamSet, type Tensor } from '@gradscope/core';
import { describeFileError } from '@gradscope/core/node';

export { stringifyJson } from './json.js';

/** A file named on the command line cannot be read or is not what it should be. */
export class InputFileError extends GradscopeError {
  constructor(message: string) {
    super('INPUT_FILE', message);
  }
}

/** Reads a whole file; `what` names it in errors (`weights file`). */
export async function readBinaryFile(path: string, what: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new InputFileError(`cannot read ${what} "${path}": ${describeFileError(err)}`);
  }
}

/**
 * Reads and parses a JSON file; `what` names it in errors (`spec file`, `input file`). A UTF-8 byte-order mark, as
 * some Windows editors write, is dropped (TextDecoder does that; Buffer's toString kept it and JSON.parse failed).
 */
export async function readJsonFile(path: string, what: string): Promise<unknown> {
  const text = new TextDecoder().decode(await readBinaryFile(path, what));
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new InputFileError(`${what} "${path}" is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function isNumberArray(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'number');
}

/** More dimensions than any model input (NCHW is 4): refused before the recursive walk, whose depth is the rank. */
export const MAX_TENSOR_RANK = 8;

function checkRank(rank: number, what: string): void {
  if (rank > MAX_TENSOR_RANK) throw new ShapeError(`${what}: ${rank} dimensions, at most ${MAX_TENSOR_RANK} are allowed`);
}

/** Shape and flat row-major values of a rectangular nested array such as `[[1, 2], [3, 4]]`. */
function flattenNested(value: unknown, what: string): Tensor {
  const shape: number[] = [];
  for (let v: unknown = value; Array.isArray(v); v = v[0]) shape.push(v.length);
  checkRank(shape.length, what);
  const data: number[] = [];
  const walk = (v: unknown, depth: number, path: string): void => {
    if (depth === shape.length) {
      if (typeof v !== 'number') throw new ShapeError(`${what}${path}: expected a number, got ${JSON.stringify(v)}`);
      // JSON.parse reads 1e999 as Infinity; like a non-finite weight, it can only poison the batch
      if (!Number.isFinite(Math.fround(v))) throw new ShapeError(`${what}${path}: ${v} is not a finite float32 value`);
      data.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw new ShapeError(`${what}${path}: nested arrays are not rectangular (expected ${shape[depth]} entries)`);
    }
    v.forEach((item, i) => walk(item, depth + 1, `${path}[${i}]`));
  };
  walk(value, 0, '');
  return { shape, data: Float32Array.from(data) };
}

/** A tensor given as JSON: `{ "shape": [...], "data": [...] }` (row-major) or nested arrays. */
export function parseTensorJson(value: unknown, what: string): Tensor {
  if (Array.isArray(value)) {
    if (value.length === 0) throw new ShapeError(`${what}: empty array`);
    return flattenNested(value, what);
  }
  if (typeof value === 'object' && value !== null && 'shape' in value && 'data' in value) {
    const { shape, data } = value as { shape: unknown; data: unknown };
    if (!isNumberArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new ShapeError(`${what}.shape: expected an array of non-negative integers`);
    }
    checkRank(shape.length, `${what}.shape`);
    const flat = Array.isArray(data) ? flattenNested(data, `${what}.data`).data : undefined;
    if (!flat) throw new ShapeError(`${what}.data: expected an array of numbers`);
    if (flat.length !== sizeOf(shape)) {
      throw new ShapeError(`${what}: shape ${formatShape(shape)} needs ${sizeOf(shape)} values, got ${flat.length}`);
    }
    return { shape, data: flat };
  }
  throw new ShapeError(`${what}: expected { "shape": [...], "data": [...] } or nested arrays of numbers`);
}

export async function readTensorFile(path: string, what: string): Promise<Tensor> {
  return parseTensorJson(await readJsonFile(path, what), `${what} "${path}"`);
}

/** JSON form of a tensor: `{ shape, data }` with plain numbers. */
export interface TensorJson {
  shape: number[];
  data: number[];
}

export function tensorToJson(t: Tensor): TensorJson {
  return { shape: [...t.shape], data: Array.from(t.data) };
}

export function paramsToJson(params: ParamSet): Record<string, TensorJson> {
  const out: Record<string, TensorJson> = {};
  for (const [name, t] of Object.entries(params)) out[name] = tensorToJson(t);
  return out;
}
