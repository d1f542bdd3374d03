import { describe, expect, it } from 'vitest';
import { fixtureDifferences } from './fixture-diff.js';

describe('fixtureDifferences', () => {
  it('accepts last-bit noise on an analytically zero entry beside large ones (tensor-relative)', () => {
    expect(fixtureDifferences({ g: [0.03, 3e-16, -0.01] }, { g: [0.03, 0, -0.01] })).toEqual([]);
  });
  it('names the tensor, the index and both values when one entry moves by more than the tolerance', () => {
    const found = fixtureDifferences({ g: [0.03, 1e-6, -0.01] }, { g: [0.03, 0, -0.01] });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^\$\.g: max \|Δ\| 0\.000001 at \[1\] \(0\.000001 vs 0\)/);
  });
  it('reports changed structure, strings and ignores only the listed paths', () => {
    expect(fixtureDifferences({ a: 1, b: 'x' }, { a: 1, c: 'x' })).toEqual(['$: keys a,b vs a,c']);
    expect(fixtureDifferences({ v: 'new', s: [1] }, { v: 'old', s: [1] }, { ignore: ['$.v'] })).toEqual([]);
    expect(fixtureDifferences({ s: [1, 2] }, { s: [1] })).toEqual(['$.s: [1,2] vs [1]']);
  });
  it('keeps an all-zero committed tensor exact', () => {
    expect(fixtureDifferences([0, 0], [0, 0])).toEqual([]);
    expect(fixtureDifferences([0, 1e-20], [0, 0])).toHaveLength(1);
  });
});
