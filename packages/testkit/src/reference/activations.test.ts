import { activations } from '@gradscope/core';
import { describe, expect, it } from 'vitest';
import { finiteDifferences } from './__fixtures__/testing.js';
import { activate, activationBackward, erf } from './activations.js';

describe('erf', () => {
  // Published values (Abramowitz & Stegun table 7.1, extended precision).
  it.each([
    [0, 0],
    [0.1, 0.1124629160182849],
    [0.5, 0.5204998778130465],
    [1, 0.8427007929497149],
    [2, 0.9953222650189527],
    [3, 0.9999779095030014],
    [-1, -0.8427007929497149],
    [7, 1],
  ])('erf(%f) = %f to a few ulps', (x, want) => {
    expect(Math.abs(erf(x) - want)).toBeLessThanOrEqual(4e-16 * Math.max(1, Math.abs(want)));
  });
  it('propagates NaN', () => expect(erf(NaN)).toBeNaN());
});

describe('activations', () => {
  const z = Float64Array.from([-2.5, -1, -0.3, 0.2, 0.7, 1.5, 3]);
  const apply = (act: (typeof activations)[number], x: Float64Array) => {
    const a = new Float64Array(x.length);
    activate(act, x, a);
    return a;
  };

  it('gelu is the exact erf form: gelu(1) = Φ(1), gelu(-1) = -Φ(-1)', () => {
    const a = apply('gelu', Float64Array.from([1, -1]));
    expect(a[0]).toBeCloseTo(0.8413447460685429, 15);
    expect(a[1]).toBeCloseTo(-0.15865525393145707, 15);
  });

  it('leakyRelu has PyTorch\'s slope 0.01, not tfjs\'s 0.2', () => {
    expect(Array.from(apply('leakyRelu', Float64Array.from([-2, 3])))).toEqual([-0.02, 3]);
  });

  it.each(activations)('%s: backward equals the finite-difference derivative', (act) => {
    const a = apply(act, z);
    const dz = new Float64Array(z.length);
    activationBackward(act, z, a, new Float64Array(z.length).fill(1), dz);
    z.forEach((_, i) => {
      const one = Float64Array.from([z[i]!]);
      const fd = finiteDifferences(() => apply(act, one)[0]!, one);
      expect(dz[i]).toBeCloseTo(fd[0]!, 9);
    });
  });
});
