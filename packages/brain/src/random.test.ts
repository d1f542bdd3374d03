import { describe, expect, it } from 'vitest';
import { withSeededRandom } from './random.js';

describe('withSeededRandom', () => {
  it('gives the same numbers for the same seed and restores Math.random, also after a throw', () => {
    const original = Math.random;
    const draw = (): number[] => [Math.random(), Math.random(), Math.random()];
    const a = withSeededRandom(42, draw);
    expect(withSeededRandom(42, draw)).toEqual(a);
    expect(withSeededRandom(43, draw)).not.toEqual(a);
    a.forEach((v) => expect(v >= 0 && v < 1).toBe(true));
    expect(() =>
      withSeededRandom(1, () => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(Math.random).toBe(original);
  });
});
