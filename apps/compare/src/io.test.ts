import { describe, expect, it } from 'vitest';
import { parseTensorJson, stringifyJson } from './io.js';

describe('tensor JSON', () => {
  it('reads { shape, data } and nested arrays to the same row-major tensor', () => {
    const a = parseTensorJson({ shape: [2, 3], data: [1, 2, 3, 4, 5, 6] }, 'input');
    const b = parseTensorJson([[1, 2, 3], [4, 5, 6]], 'input');
    expect(a.shape).toEqual([2, 3]);
    expect(b.shape).toEqual([2, 3]);
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
  });

  it('names the problem: wrong value count, ragged arrays, non-numbers', () => {
    expect(() => parseTensorJson({ shape: [2, 3], data: [1, 2] }, 'input "x.json"')).toThrow('input "x.json": shape [2, 3] needs 6 values, got 2');
    expect(() => parseTensorJson([[1, 2], [3]], 'target')).toThrow('target[1]: nested arrays are not rectangular (expected 2 entries)');
    expect(() => parseTensorJson([[1, 'a']], 'input')).toThrow('input[0][1]: expected a number, got "a"');
    expect(() => parseTensorJson({ shape: [1.5], data: [1] }, 'input')).toThrow('input.shape');
    expect(() => parseTensorJson('hello', 'input')).toThrow(/expected \{ "shape"/);
  });

  it('refuses values that are not finite float32 numbers (JSON.parse reads 1e999 as Infinity)', () => {
    expect(() => parseTensorJson([[0, 1e999]], 'input "x.json"')).toThrow('input "x.json"[0][1]: Infinity is not a finite float32 value');
    expect(() => parseTensorJson({ shape: [1], data: [-1e39] }, 'target')).toThrow('target.data[0]: -1e+39 is not a finite float32 value');
  });

  it('keeps non-finite numbers visible in JSON output', () => {
    expect(stringifyJson({ a: NaN, b: [Infinity, -Infinity, 1.5] })).toBe('{"a":"NaN","b":["Infinity","-Infinity",1.5]}');
  });
});
