import { describe, expect, it } from 'vitest';
import { WeightsFormatError } from './errors.js';
import { parseParamsJson, serializeParamsJson } from './params-json.js';

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(WeightsFormatError);
    return (e as Error).message;
  }
  throw new Error('expected a WeightsFormatError');
}

describe('parseParamsJson', () => {
  it('reads row-major tensors as float32', () => {
    const params = parseParamsJson('{"stem.weight": {"shape": [2, 2], "data": [1, 0.1, -3, 4]}, "stem.bias": {"shape": [2], "data": [0, 1e-3]}}');
    expect(Object.keys(params)).toEqual(['stem.weight', 'stem.bias']);
    expect(params['stem.weight']).toEqual({ shape: [2, 2], data: Float32Array.from([1, 0.1, -3, 4]) });
    expect(params['stem.weight']!.data[1]).toBe(Math.fround(0.1));
  });

  it('accepts an already parsed value', () => {
    expect(parseParamsJson({ x: { shape: [], data: [2] } })).toEqual({ x: { shape: [], data: Float32Array.from([2]) } });
  });

  it('lists every problem with its JSON path', () => {
    const text = JSON.stringify({
      'stem.weight': { shape: [2, 2], data: [1, 2, 'x', 4] },
      'stem.bias': { shape: [2], data: [1, 2, 3] },
      'head.weight': { shape: [1, -1], data: [] },
      'head.bias': { shape: [1], values: [1] },
      'blocks.0.0.weight': [1, 2],
      'fc.bias': { shape: [1], data: [1e39] },
    });
    expect(errorOf(() => parseParamsJson(text, 'w.json'))).toBe([
      'w.json: invalid JSON parameters: 7 problems',
      '  - stem.weight.data[2]: expected a number, got "x"',
      '  - stem.bias.data: shape [2] needs 2 values, got 3',
      '  - head.weight.shape[1]: expected a non-negative integer, got -1',
      '  - head.bias.values: unknown field (expected shape and data)',
      '  - head.bias.data: missing (expected an array of numbers, row-major)',
      '  - blocks.0.0.weight: expected an object with "shape" and "data", got [1,2]',
      '  - fc.bias.data[0]: 1e+39 is not a finite float32 value',
    ].join('\n'));
  });

  it('caps the list of problems', () => {
    const text = JSON.stringify({ x: { shape: [30], data: new Array(30).fill(null) } });
    const message = errorOf(() => parseParamsJson(text, 'w.json'));
    expect(message.split('\n')).toHaveLength(22);
    expect(message).toContain('w.json: invalid JSON parameters: 30 problems');
    expect(message).toContain('  - x.data[19]: expected a number, got null');
    expect(message.endsWith('  - ... and 10 more')).toBe(true);
  });

  it('says when the text is not JSON or not an object', () => {
    expect(errorOf(() => parseParamsJson('{"a": [1,', 'w.json'))).toMatch(/^w\.json: not valid JSON \(/);
    expect(errorOf(() => parseParamsJson('[1, 2]', 'w.json'))).toBe(
      'w.json: invalid JSON parameters: 1 problem\n  - (root): expected an object of { "shape": [..], "data": [..] } by parameter name, got an array',
    );
  });
});

describe('serializeParamsJson', () => {
  it('writes the shortest decimals that read back bit-identical, one tensor per line', () => {
    const params = {
      'stem.weight': { shape: [2, 2], data: Float32Array.from([0.1, -1 / 3, 1e-40, 3.4028234663852886e38]) },
      'stem.bias': { shape: [2], data: Float32Array.from([-0, 2]) },
    };
    const text = serializeParamsJson(params);
    expect(text).toBe([
      '{',
      '  "stem.weight": {"shape": [2, 2], "data": [0.1, -0.33333334, 1e-40, 3.4028235e+38]},',
      '  "stem.bias": {"shape": [2], "data": [-0, 2]}',
      '}',
      '',
    ].join('\n'));
    const back = parseParamsJson(text);
    expect(back).toEqual(params);
    expect(Object.is(back['stem.bias']!.data[0], -0)).toBe(true);
  });

  it('refuses values JSON cannot hold, naming where', () => {
    expect(errorOf(() => serializeParamsJson({ w: { shape: [2], data: Float32Array.from([1, NaN]) } }))).toBe(
      'w.data[1]: NaN cannot be written to JSON (save as safetensors instead)',
    );
  });

  it('writes an empty set as {}', () => {
    expect(parseParamsJson(serializeParamsJson({}))).toEqual({});
  });
});
