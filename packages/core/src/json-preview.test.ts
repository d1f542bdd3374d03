import { describe, expect, it } from 'vitest';
import { previewJson } from './json-preview.js';

describe('previewJson', () => {
  it('shows small values as compact JSON', () => {
    expect(previewJson('rleu')).toBe('"rleu"');
    expect(previewJson([1, -2.5, null])).toBe('[1,-2.5,null]');
    expect(previewJson({ a: { b: true } })).toBe('{"a":{"b":true}}');
    expect(previewJson(Number.NaN)).toBe('NaN');
  });

  it('bounds depth, item count and length, so hostile input cannot blow up a message', () => {
    const deep = JSON.parse('['.repeat(100_000) + ']'.repeat(100_000)) as unknown;
    expect(previewJson(deep)).toBe('[[[[...]]]]');
    expect(previewJson(Array.from({ length: 1000 }, (_, i) => i))).toBe('[0,1,2,3,4,5,6,7,...]');
    expect(previewJson('x'.repeat(1_000_000))).toHaveLength(60);
    expect(previewJson({ key: 'y'.repeat(100) }, 20)).toBe('{"key":"yyyyyyyyy...');
  });
});
