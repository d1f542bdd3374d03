import { describe, expect, it } from 'vitest';
import { SpecError } from '../errors.js';
import { createAddingTask } from './adding.js';

/** Positions where sample b's marker channel is 1, checking the marker is 0 elsewhere. */
function markers(input: Float32Array, b: number, T: number): number[] {
  const out: number[] = [];
  for (let t = 0; t < T; t++) {
    const m = input[(b * T + t) * 2 + 1]!;
    expect([0, 1]).toContain(m);
    if (m === 1) out.push(t);
  }
  return out;
}

describe('createAddingTask', () => {
  it('describes a sequence regression task', () => {
    const task = createAddingTask({ T: 100, seed: 1 });
    expect(task).toMatchObject({ name: 'adding:T=100', inputSize: 2, outputSize: 1, loss: 'mse', sequenceLength: 100 });
    const { input, target } = task.trainBatch(8, 0);
    expect(input.shape).toEqual([8, 100, 2]);
    expect(target.shape).toEqual([8, 1]);
  });

  it.each([10, 7])('puts exactly two markers, one in each half, reaching every position of both halves (T=%i)', (T) => {
    const { input, target } = createAddingTask({ T, seed: 3 }).testSet(2000);
    const half = Math.ceil(T / 2);
    const firsts = new Set<number>();
    const seconds = new Set<number>();
    for (let b = 0; b < 2000; b++) {
      const m = markers(input.data, b, T);
      expect(m).toHaveLength(2);
      expect(m[0]).toBeLessThan(half);
      expect(m[1]).toBeGreaterThanOrEqual(half);
      firsts.add(m[0]!);
      seconds.add(m[1]!);
      expect(target.data[b]).toBe(Math.fround(input.data[(b * T + m[0]!) * 2]! + input.data[(b * T + m[1]!) * 2]!));
    }
    expect([...firsts].sort((a, b) => a - b)).toEqual(Array.from({ length: half }, (_, i) => i));
    expect([...seconds].sort((a, b) => a - b)).toEqual(Array.from({ length: T - half }, (_, i) => half + i));
  });

  it('draws values from U(0,1)', () => {
    const { input } = createAddingTask({ T: 50, seed: 4 }).trainBatch(64, 0);
    const values = input.data.filter((_, i) => i % 2 === 0);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    expect(mean).toBeCloseTo(0.5, 1);
  });

  it('scores the documented baseline: always predicting 1.0 gives MSE 1/6 on 10k samples', () => {
    const { target } = createAddingTask({ T: 100, seed: 0 }).testSet(10_000);
    const mse = target.data.reduce((s, y) => s + (y - 1) ** 2, 0) / target.data.length;
    expect(Math.abs(mse - 1 / 6)).toBeLessThan(0.01);
  });

  it('is deterministic per seed and batch index, with a test set apart from training', () => {
    const a = createAddingTask({ T: 20, seed: 5 });
    const b = createAddingTask({ T: 20, seed: 5 });
    expect(b.trainBatch(4, 3)).toEqual(a.trainBatch(4, 3));
    expect(b.testSet(10)).toEqual(a.testSet(10));
    expect(a.testSet(10)).toEqual(a.testSet(10));
    expect(a.trainBatch(4, 3)).toEqual(a.trainBatch(4, 3));
    expect(a.trainBatch(4, 4).input.data).not.toEqual(a.trainBatch(4, 3).input.data);
    expect(createAddingTask({ T: 20, seed: 6 }).trainBatch(4, 3).input.data).not.toEqual(a.trainBatch(4, 3).input.data);
    expect(a.testSet(4).input.data).not.toEqual(a.trainBatch(4, 0).input.data);
  });

  it('gives the same batch whatever was drawn before (so a resumed run sees the same data)', () => {
    const fresh = createAddingTask({ T: 12, seed: 9 });
    const used = createAddingTask({ T: 12, seed: 9 });
    for (let i = 0; i < 5; i++) used.trainBatch(3, i);
    used.testSet(7);
    expect(used.trainBatch(3, 5)).toEqual(fresh.trainBatch(3, 5));
  });

  it('has a test set whose smaller versions are prefixes of larger ones', () => {
    const task = createAddingTask({ T: 6, seed: 2 });
    expect(task.testSet(30).target.data.subarray(0, 10)).toEqual(task.testSet(10).target.data);
  });

  it('rejects a sequence too short for two halves and a bad batch size', () => {
    expect(() => createAddingTask({ T: 1, seed: 0 })).toThrow(SpecError);
    expect(() => createAddingTask({ T: 1, seed: 0 })).toThrow('T: expected an integer in [2, 1000000], got 1');
    expect(() => createAddingTask({ T: 5, seed: 0 }).trainBatch(0, 0)).toThrow('batchSize: expected an integer in [1, 1000000], got 0');
    expect(() => createAddingTask({ T: 5, seed: 1.5 })).toThrow(SpecError);
  });
});
