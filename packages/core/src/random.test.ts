import { describe, expect, it } from 'vitest';
import { SpecError } from './errors.js';
import { createRng } from './random.js';

function draw(n: number, f: () => number): number[] {
  return Array.from({ length: n }, f);
}

function meanStd(xs: readonly number[]): { mean: number; std: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
  return { mean, std: Math.sqrt(variance) };
}

describe('createRng', () => {
  it('repeats the same numbers for the same seed and differs for another seed', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const xa = draw(5, () => a.uniform());
    expect(draw(5, () => b.uniform())).toEqual(xa);
    expect(draw(5, () => c.uniform())).not.toEqual(xa);
  });

  it('pins the first draws of seed 0, so a change of generator shows up', () => {
    // Pinned once from this implementation: any change here changes every initialization and task.
    const rng = createRng(0);
    const first = draw(3, () => rng.uniform());
    expect(first.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(first).toEqual(PINNED_SEED0);
  });

  it('keeps uniform draws inside [lo, hi) with the right mean and spread', () => {
    const rng = createRng(1);
    const xs = draw(20_000, () => rng.uniform(-2, 3));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...xs)).toBeLessThan(3);
    const { mean, std } = meanStd(xs);
    expect(mean).toBeCloseTo(0.5, 1);
    expect(std).toBeCloseTo(5 / Math.sqrt(12), 1);
  });

  it('draws normals with the requested mean and std', () => {
    const rng = createRng(2);
    const xs = draw(20_000, () => rng.normal(1.5, 0.5));
    const { mean, std } = meanStd(xs);
    expect(Math.abs(mean - 1.5)).toBeLessThan(0.02);
    expect(Math.abs(std - 0.5)).toBeLessThan(0.02);
    // ~95.4% within two standard deviations
    const inside = xs.filter((x) => Math.abs(x - 1.5) < 1).length / xs.length;
    expect(Math.abs(inside - 0.9545)).toBeLessThan(0.01);
  });

  it('draws every integer of [0, n) about equally often', () => {
    const rng = createRng(3);
    const counts = new Array<number>(6).fill(0);
    for (let i = 0; i < 6000; i++) counts[rng.int(6)]! += 1;
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(120);
    expect(() => rng.int(0)).toThrow('int(n) needs an integer n in [1, 2^32], got 0');
    expect(() => rng.int(2.5)).toThrow(RangeError);
  });

  it('derives sub-streams that do not depend on draws or on the order they are made', () => {
    const a = createRng(7);
    const wa = a.stream('stem.weight');
    const ba = a.stream('stem.bias');
    const b = createRng(7);
    draw(10, () => b.uniform()); // draws on the parent do not move sub-streams
    const bb = b.stream('stem.bias');
    const wb = b.stream('stem.weight');
    expect(draw(4, () => wb.uniform())).toEqual(draw(4, () => wa.uniform()));
    expect(draw(4, () => bb.normal())).toEqual(draw(4, () => ba.normal()));
  });

  it('gives different labels, nested labels and seeds different streams', () => {
    const first = (s: { uniform(): number }) => s.uniform();
    const root = createRng(7);
    const values = [
      first(root.stream('a')),
      first(root.stream('b')),
      first(root.stream('ab')),
      first(root.stream('a').stream('b')),
      first(createRng(8).stream('a')),
      first(createRng(-7).stream('a')),
      first(createRng(7 + 2 ** 32).stream('a')),
    ];
    expect(new Set(values).size).toBe(values.length);
  });

  it('rejects a seed that is not a safe integer', () => {
    expect(() => createRng(1.5)).toThrow(SpecError);
    expect(() => createRng(1.5)).toThrow('seed: expected a safe integer, got 1.5');
    expect(() => createRng('1' as unknown as number)).toThrow('seed: expected a safe integer, got "1"');
  });
});

const PINNED_SEED0 = [0.5908157673096631, 0.7355101393946313, 0.271934286930801];
