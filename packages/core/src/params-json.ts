import { WeightsFormatError, type Issue } from './errors.js';
import type { ParamSet } from './params.js';
import { previewJson } from './json-preview.js';
import { nullRecord } from './records.js';
import { formatShape, sizeOf } from './tensor.js';

/**
 * JSON parameters: `{ "name": { "shape": [..], "data": [..] } }`, data row-major, values float32.
 * Parsing reports every problem (up to a limit) with its JSON path, e.g. `stem.weight.data[3]: expected a number`.
 */

const MAX_LISTED_ISSUES = 20;


function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function formatIssues(source: string, issues: readonly Issue[]): string {
  const listed = issues.slice(0, MAX_LISTED_ISSUES).map((i) => `  - ${i.path || '(root)'}: ${i.message}`);
  if (issues.length > MAX_LISTED_ISSUES) listed.push(`  - ... and ${issues.length - MAX_LISTED_ISSUES} more`);
  const count = `${issues.length} problem${issues.length === 1 ? '' : 's'}`;
  return [`${source}: invalid JSON parameters: ${count}`, ...listed].join('\n');
}

function readShape(name: string, value: unknown, issues: Issue[]): number[] | undefined {
  const path = `${name}.shape`;
  if (value === undefined) {
    issues.push({ path, message: 'missing (expected an array of non-negative integers)' });
    return undefined;
  }
  if (!Array.isArray(value)) {
    issues.push({ path, message: `expected an array of non-negative integers, got ${previewJson(value, 40)}` });
    return undefined;
  }
  let ok = true;
  value.forEach((d, i) => {
    if (!Number.isSafeInteger(d) || (d as number) < 0) {
      issues.push({ path: `${path}[${i}]`, message: `expected a non-negative integer, got ${previewJson(d, 40)}` });
      ok = false;
    }
  });
  return ok ? (value as number[]) : undefined;
}

function readData(name: string, value: unknown, issues: Issue[]): Float32Array | undefined {
  const path = `${name}.data`;
  if (value === undefined) {
    issues.push({ path, message: 'missing (expected an array of numbers, row-major)' });
    return undefined;
  }
  if (!Array.isArray(value)) {
    issues.push({ path, message: `expected an array of numbers, got ${previewJson(value, 40)}` });
    return undefined;
  }
  const data = new Float32Array(value.length);
  let ok = true;
  for (let i = 0; i < value.length; i++) {
    const v: unknown = value[i];
    if (typeof v !== 'number') {
      issues.push({ path: `${path}[${i}]`, message: `expected a number, got ${previewJson(v, 40)}` });
      ok = false;
    } else if (!Number.isFinite(Math.fround(v))) {
      issues.push({ path: `${path}[${i}]`, message: `${v} is not a finite float32 value` });
      ok = false;
    } else data[i] = v;
  }
  return ok ? data : undefined;
}

/**
 * Reads JSON parameters from text or from an already parsed JSON value. Does not check them against a spec
 * (`loadParams` does). Throws `WeightsFormatError` starting with `source` and listing every problem with its path.
 */
export function parseParamsJson(input: string | unknown, source = 'JSON parameters'): ParamSet {
  let json: unknown = input;
  if (typeof input === 'string') {
    try {
      json = JSON.parse(input);
    } catch (e) {
      throw new WeightsFormatError(`${source}: not valid JSON (${(e as Error).message})`);
    }
  }
  if (!isRecord(json)) {
    throw new WeightsFormatError(formatIssues(source, [{ path: '', message: `expected an object of { "shape": [..], "data": [..] } by parameter name, got ${Array.isArray(json) ? 'an array' : previewJson(json, 40)}` }]));
  }
  const issues: Issue[] = [];
  const params: ParamSet = nullRecord();
  for (const [name, value] of Object.entries(json)) {
    if (name === '__proto__') {
      issues.push({ path: name, message: 'not allowed as a parameter name' });
      continue;
    }
    if (!isRecord(value)) {
      issues.push({ path: name, message: `expected an object with "shape" and "data", got ${previewJson(value, 40)}` });
      continue;
    }
    for (const key of Object.keys(value)) {
      if (key !== 'shape' && key !== 'data') issues.push({ path: `${name}.${key}`, message: 'unknown field (expected shape and data)' });
    }
    const shape = readShape(name, value['shape'], issues);
    const data = readData(name, value['data'], issues);
    if (!shape || !data) continue;
    if (data.length !== sizeOf(shape)) {
      issues.push({ path: `${name}.data`, message: `shape ${formatShape(shape)} needs ${sizeOf(shape)} values, got ${data.length}` });
      continue;
    }
    params[name] = { shape: [...shape], data };
  }
  if (issues.length) throw new WeightsFormatError(formatIssues(source, issues));
  return params;
}

/** The shortest decimal that reads back as the same float32 (`0.1`, not `0.10000000149011612`). */
function float32ToJson(v: number): string {
  if (Object.is(v, -0)) return '-0';
  if (Number.isInteger(v) && Math.abs(v) <= 2 ** 24) return String(v); // every such integer is a float32
  // 9 significant digits always round-trip a float32; if p digits do not, fewer cannot (the p-digit rounding is
  // the nearest p-digit decimal), so search downwards and stop at the first failure.
  let best = v.toPrecision(9);
  for (let digits = 8; digits >= 1; digits--) {
    const s = v.toPrecision(digits);
    if (Math.fround(Number(s)) !== v) break;
    best = s;
  }
  return String(Number(best));
}

/**
 * Writes parameters as JSON, one tensor per line, in the set's order. Values read back bit-identical.
 * NaN and ±Infinity cannot be written as JSON: they throw a `WeightsFormatError` naming the value's path.
 */
export function serializeParamsJson(params: ParamSet): string {
  const lines: string[] = [];
  for (const [name, t] of Object.entries(params)) {
    const values: string[] = new Array<string>(t.data.length);
    for (let i = 0; i < t.data.length; i++) {
      const v = t.data[i]!;
      if (!Number.isFinite(v)) {
        throw new WeightsFormatError(`${name}.data[${i}]: ${v} cannot be written to JSON (save as safetensors instead)`);
      }
      values[i] = float32ToJson(v);
    }
    lines.push(`  ${JSON.stringify(name)}: {"shape": [${t.shape.join(', ')}], "data": [${values.join(', ')}]}`);
  }
  return lines.length ? `{\n${lines.join(',\n')}\n}\n` : '{}\n';
}
