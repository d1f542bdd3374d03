import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WeightsFormatError } from './errors.js';
import {
  MAX_SAFETENSORS_HEADER_BYTES,
  decodeFloat32,
  decodeFloat64,
  parseSafetensors,
  readSafetensorsParams,
  serializeSafetensors,
} from './safetensors.js';

/** A safetensors file assembled by hand (not by the code under test): length prefix, JSON header, data. */
function build(header: unknown, data: Uint8Array = new Uint8Array(0), headerLength?: number): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  const view = new DataView(out.buffer);
  const length = headerLength ?? json.length;
  view.setUint32(0, length % 2 ** 32, true);
  view.setUint32(4, Math.floor(length / 2 ** 32), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function le(kind: 'f32' | 'f64' | 'u16' | 'i64', values: readonly (number | bigint)[]): Uint8Array {
  const size = kind === 'u16' ? 2 : kind === 'f32' ? 4 : 8;
  const out = new Uint8Array(values.length * size);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => {
    if (kind === 'f32') view.setFloat32(i * size, v as number, true);
    else if (kind === 'f64') view.setFloat64(i * size, v as number, true);
    else if (kind === 'u16') view.setUint16(i * size, v as number, true);
    else view.setBigInt64(i * size, v as bigint, true);
  });
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(WeightsFormatError);
    return (e as Error).message;
  }
  throw new Error('expected a WeightsFormatError');
}

const validHeader = {
  __metadata__: { format: 'pt' },
  'w': { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] },
  'b': { dtype: 'F32', shape: [2], data_offsets: [16, 24] },
};
const validData = le('f32', [1, 2, 3, 4, 0.5, -0.5]);

describe('parseSafetensors / readSafetensorsParams', () => {
  it('reads a hand-built F32 file with metadata', () => {
    const { params, metadata, buffers } = readSafetensorsParams(build(validHeader, validData));
    expect(metadata).toEqual({ format: 'pt' });
    expect(buffers).toEqual({});
    expect(params['w']).toEqual({ shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) });
    expect(params['b']).toEqual({ shape: [2], data: Float32Array.from([0.5, -0.5]) });
  });

  it('accepts offsets listed out of order and a header padded with spaces', () => {
    const header = JSON.stringify({ b: { dtype: 'F32', shape: [2], data_offsets: [16, 24] }, w: validHeader.w }) + '   ';
    const { params } = readSafetensorsParams(build(header, validData));
    expect([...params['w']!.data]).toEqual([1, 2, 3, 4]);
  });

  it('converts F64, F16 and BF16 to float32', () => {
    // F16: 1, -2, smallest subnormal 2^-24, +inf, 65504 (max). BF16: 1, 3.140625, -0.
    const f16 = le('u16', [0x3c00, 0xc000, 0x0001, 0x7c00, 0x7bff]);
    const bf16 = le('u16', [0x3f80, 0x4049, 0x8000]);
    const f64 = le('f64', [0.1, 1e-50]);
    const header = {
      h: { dtype: 'F16', shape: [5], data_offsets: [0, 10] },
      b: { dtype: 'BF16', shape: [3], data_offsets: [10, 16] },
      d: { dtype: 'F64', shape: [2], data_offsets: [16, 32] },
    };
    // decoded directly: readSafetensorsParams refuses the F16 infinity as a weight (see the non-finite test)
    const decoded = parseSafetensors(build(header, concat(f16, bf16, f64))).entries.map((e) => [e.name, { data: decodeFloat32(e) }] as const);
    const params = Object.fromEntries(decoded);
    expect([...params['h']!.data]).toEqual([1, -2, 2 ** -24, Infinity, 65504]);
    expect([...params['b']!.data]).toEqual([1, 3.140625, -0]);
    expect(Object.is(params['b']!.data[2], -0)).toBe(true);
    expect([...params['d']!.data]).toEqual([Math.fround(0.1), 0]);
    const file = parseSafetensors(build(header, concat(f16, bf16, f64)));
    expect([...decodeFloat64(file.entries[2]!)]).toEqual([0.1, 1e-50]);
  });

  it('returns integer num_batches_tracked buffers separately and rejects other integer tensors', () => {
    const header = {
      'bn.weight': { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
      'bn.num_batches_tracked': { dtype: 'I64', shape: [], data_offsets: [4, 12] },
    };
    const bytes = build(header, concat(le('f32', [1]), le('i64', [123n])));
    const { params, buffers } = readSafetensorsParams(bytes);
    expect(Object.keys(params)).toEqual(['bn.weight']);
    expect(buffers['bn.num_batches_tracked']).toEqual({ dtype: 'I64', shape: [], values: [123n] });

    const bad = build({ 'stem.weight': { dtype: 'I32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4));
    expect(errorOf(() => readSafetensorsParams(bad, 'w.safetensors'))).toBe(
      'w.safetensors: tensor "stem.weight": integer dtype I32 is only accepted for known buffers (names ending in num_batches_tracked); parameters must be F32, F64, F16 or BF16',
    );
  });

  describe('malformed files name the problem', () => {
    const cases: [string, Uint8Array, string][] = [
      ['too short', new Uint8Array(5), 'not a safetensors file: 5 bytes, shorter than the 8-byte header length'],
      ['header length past the end', build(validHeader, validData, 10_000), 'header length 10000 runs past the end of the file'],
      ['absurd header length', build(validHeader, validData, 2 ** 52), `header length ${2 ** 52} is larger than the ${MAX_SAFETENSORS_HEADER_BYTES}-byte limit`],
      ['bad JSON', build('{"w": {', new Uint8Array(0)), 'header is not valid JSON'],
      ['not an object', build('[1, 2]'), 'header does not start with a JSON object: "[1, 2]"'],
      ['invalid UTF-8', concat(le('u16', [4, 0, 0, 0]), Uint8Array.from([0x7b, 0xff, 0xfe, 0x7d])), 'header is not valid UTF-8'],
      ['missing dtype', build({ w: { shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), 'tensor "w": missing field "dtype"'],
      ['missing shape', build({ w: { dtype: 'F32', data_offsets: [0, 4] } }, new Uint8Array(4)), 'tensor "w": missing field "shape"'],
      ['missing offsets', build({ w: { dtype: 'F32', shape: [1] } }, new Uint8Array(4)), 'tensor "w": missing field "data_offsets"'],
      ['unknown dtype', build({ w: { dtype: 'F33', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), 'tensor "w": unsupported dtype "F33" (expected one of F64|F32|F16|BF16|I64|I32|I16|I8|U64|U32|U16|U8|BOOL)'],
      ['bad shape', build({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4)), 'tensor "w": shape must be an array of non-negative integers, got [-1]'],
      ['bad offsets', build({ w: { dtype: 'F32', shape: [1], data_offsets: [0] } }, new Uint8Array(4)), 'tensor "w": data_offsets must be [begin, end] with non-negative integers, got [0]'],
      ['size mismatch', build({ w: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 16] } }, new Uint8Array(16)), 'tensor "w": shape [2, 3] of F32 needs 24 bytes, but data_offsets [0, 16] hold 16'],
      ['huge shape', build({ w: { dtype: 'F64', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 8] } }, new Uint8Array(8)), 'tensor "w": shape [1099511627776, 1099511627776] of F64 needs'],
      ['out of range', build(validHeader, validData.subarray(0, 20)), 'tensor "b": data_offsets [16, 24] are out of range: the data section has 20 bytes'],
      ['overlap', build({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, new Uint8Array(12)), 'tensor "b": data_offsets [4, 12] overlap those of "a" [0, 8]'],
      ['gap', build({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, new Uint8Array(12)), 'tensor "b": data_offsets [8, 12] leave a gap of 4 bytes after "a"'],
      ['trailing bytes', build(validHeader, concat(validData, new Uint8Array(4))), 'the data section has 28 bytes but the tensors cover 24: 4 trailing bytes'],
      ['bad metadata', build({ __metadata__: { epoch: 3 } }), '__metadata__.epoch must be a string, got 3'],
      ['unknown field', build({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 4], stride: [1] } }, new Uint8Array(4)), 'tensor "w": unknown field "stride"'],
      ['deeply nested entry', build(`{"w": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`), 'tensor "w": expected an object with dtype, shape and data_offsets, got [[[[...]]]]'],
      ['__proto__ name', build('{"__proto__": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}', new Uint8Array(4)), 'a tensor may not be named "__proto__"'],
    ];
    for (const [title, bytes, message] of cases) {
      it(title, () => {
        const text = errorOf(() => readSafetensorsParams(bytes, 'model.safetensors'));
        expect(text.startsWith('model.safetensors: ')).toBe(true);
        expect(text).toContain(message);
      });
    }
  });

  it('never throws anything but WeightsFormatError on random bytes (fuzz)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, plausibleLength) => {
        if (plausibleLength && bytes.length >= 8) new DataView(bytes.buffer, bytes.byteOffset).setUint32(4, 0, true);
        expectCleanOutcome(() => readSafetensorsParams(bytes));
      }),
      { seed: 20_261_127, numRuns: 2000 },
    );
  });

  it('never throws anything but WeightsFormatError on mutated valid headers (fuzz)', () => {
    const fields = ['dtype', 'shape', 'data_offsets'] as const;
    const mutation = fc.record({
      tensor: fc.constantFrom('w', 'b', '__metadata__', 'x'),
      field: fc.constantFrom(...fields),
      value: fc.oneof(
        fc.jsonValue({ maxDepth: 2 }),
        fc.constantFrom('F64', 'F16', 'BF16', 'I64', 'BOOL', 'U8'),
        fc.array(fc.integer({ min: -2, max: 40 }), { maxLength: 3 }),
        fc.array(fc.oneof(fc.integer({ min: 0, max: 2 ** 53 }), fc.double()), { maxLength: 3 }),
      ),
      lengthDelta: fc.oneof(fc.constant(0), fc.integer({ min: -20, max: 20 })),
      dataLength: fc.integer({ min: 0, max: 40 }),
      flip: fc.option(fc.record({ at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) })),
    });
    fc.assert(
      fc.property(mutation, (m) => {
        const header = structuredClone(validHeader) as Record<string, Record<string, unknown>>;
        header[m.tensor] = { ...(header[m.tensor] ?? {}), [m.field]: m.value };
        const json = new TextEncoder().encode(JSON.stringify(header));
        const bytes = build(header, new Uint8Array(m.dataLength).fill(0x3f), Math.max(0, json.length + m.lengthDelta));
        if (m.flip) bytes[m.flip.at % bytes.length]! ^= 1 << m.flip.bit;
        expectCleanOutcome(() => readSafetensorsParams(bytes));
      }),
      { seed: 42, numRuns: 3000 },
    );
  });
});

/** A parse either succeeds with consistent tensors or fails with WeightsFormatError — never another exception. */
function expectCleanOutcome(parse: () => ReturnType<typeof readSafetensorsParams>): void {
  let result: ReturnType<typeof readSafetensorsParams>;
  try {
    result = parse();
  } catch (e) {
    if (!(e instanceof WeightsFormatError)) throw e;
    return;
  }
  for (const t of Object.values(result.params)) expect(t.data.length).toBe(t.shape.reduce((n, d) => n * d, 1));
}

describe('serializeSafetensors', () => {
  it('round-trips F32 and F64 tensors exactly, with metadata, in order', () => {
    const tensors = {
      'stem.weight': { shape: [2, 3], data: Float32Array.from([0.1, -2, 3.5, 1e-30, Infinity, NaN]) },
      'optim/exp_avg/stem.weight': { shape: [3], data: Float64Array.from([0.1, 1e-300, -0]) },
      scalar: { shape: [], data: Float32Array.from([7]) },
      empty: { shape: [0, 4], data: new Float32Array(0) },
    };
    const bytes = serializeSafetensors(tensors, { step: '3' });
    const file = parseSafetensors(bytes);
    expect(file.metadata).toEqual({ step: '3' });
    expect(file.entries.map((e) => [e.name, e.dtype, e.shape])).toEqual([
      ['stem.weight', 'F32', [2, 3]],
      ['optim/exp_avg/stem.weight', 'F64', [3]],
      ['scalar', 'F32', []],
      ['empty', 'F32', [0, 4]],
    ]);
    // serializing keeps NaN and Infinity bit-exact; reading them as weights is refused (non-finite-files.test.ts)
    expect(decodeFloat32(file.entries[0]!)).toEqual(tensors['stem.weight'].data);
    const f64 = decodeFloat64(file.entries[1]!);
    expect(f64).toEqual(tensors['optim/exp_avg/stem.weight'].data);
    expect(Object.is(f64[2], -0)).toBe(true);
  });

  it('writes the layout other readers expect: u64 header length, header padded to 8 bytes, little-endian data', () => {
    const bytes = serializeSafetensors({ x: { shape: [1], data: Float32Array.from([1]) } });
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    const n = view.getUint32(0, true);
    expect(view.getUint32(4, true)).toBe(0);
    expect(n % 8).toBe(0);
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(JSON.parse(header)).toEqual({ x: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } });
    expect([...bytes.subarray(8 + n)]).toEqual([0x00, 0x00, 0x80, 0x3f]);
  });

  it('rejects data that does not fit the shape', () => {
    expect(() => serializeSafetensors({ x: { shape: [2], data: new Float32Array(3) } })).toThrow(
      new WeightsFormatError('tensor "x": shape [2] needs 2 values, got 3'),
    );
  });
});
