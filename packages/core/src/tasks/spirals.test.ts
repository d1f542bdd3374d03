import { describe, expect, it } from 'vitest';
import { SpecError } from '../errors.js';
import { createSpiralsTask } from './spirals.js';

describe('createSpiralsTask', () => {
  it('describes a two-class dense task', () => {
    const task = createSpiralsTask({ seed: 0 });
    expect(task).toMatchObject({ name: 'spirals:turns=1.5,noise=0', inputSize: 2, outputSize: 2, loss: 'crossEntropy' });
    expect(task.sequenceLength).toBeUndefined();
    const { input, target } = task.trainBatch(16, 0);
    expect(input.shape).toEqual([16, 2]);
    expect(target.shape).toEqual([16]);
  });

  it('puts each point on its class arm: angle = 2π·turns·r + class·π', () => {
    const turns = 2;
    const { input, target } = createSpiralsTask({ seed: 1, turns }).testSet(500);
    for (let b = 0; b < 500; b++) {
      const x = input.data[2 * b]!;
      const y = input.data[2 * b + 1]!;
      const r = Math.hypot(x, y);
      expect(r).toBeLessThanOrEqual(1 + 1e-6);
      const expected = 2 * Math.PI * turns * r + target.data[b]! * Math.PI;
      // Compare directions (float32 storage: ~1e-6); near the centre the angle is ill-defined, so compare points.
      expect(Math.hypot(x - r * Math.cos(expected), y - r * Math.sin(expected))).toBeLessThan(1e-5);
    }
  });

  it('draws both classes about equally', () => {
    const { target } = createSpiralsTask({ seed: 2 }).testSet(4000);
    const ones = target.data.reduce((s, c) => s + c, 0);
    expect(Math.abs(ones / 4000 - 0.5)).toBeLessThan(0.03);
    expect(new Set(target.data)).toEqual(new Set([0, 1]));
  });

  it('adds noise of the requested size', () => {
    const clean = createSpiralsTask({ seed: 3 }).testSet(2000);
    const noisy = createSpiralsTask({ seed: 3, noise: 0.1 }).testSet(2000);
    // Same arm positions are not guaranteed (noise draws shift the stream), so measure the distance to the arm instead.
    const offArm = (batch: typeof clean): number => {
      let s = 0;
      for (let b = 0; b < 2000; b++) {
        const x = batch.input.data[2 * b]!;
        const y = batch.input.data[2 * b + 1]!;
        const r = Math.hypot(x, y);
        const a = 2 * Math.PI * 1.5 * r + batch.target.data[b]! * Math.PI;
        s += Math.hypot(x - r * Math.cos(a), y - r * Math.sin(a));
      }
      return s / 2000;
    };
    expect(offArm(clean)).toBeLessThan(1e-6);
    expect(offArm(noisy)).toBeGreaterThan(0.03);
  });

  it('is deterministic per seed and batch index', () => {
    expect(createSpiralsTask({ seed: 4 }).trainBatch(8, 2)).toEqual(createSpiralsTask({ seed: 4 }).trainBatch(8, 2));
    expect(createSpiralsTask({ seed: 4 }).trainBatch(8, 2).input.data).not.toEqual(createSpiralsTask({ seed: 5 }).trainBatch(8, 2).input.data);
    expect(createSpiralsTask({ seed: 4 }).testSet(8).input.data).not.toEqual(createSpiralsTask({ seed: 4 }).trainBatch(8, 0).input.data);
  });

  it('lists every bad option', () => {
    expect(() => createSpiralsTask({ seed: 0, turns: 0, noise: -1 })).toThrow(SpecError);
    try {
      createSpiralsTask({ seed: 0, turns: 0, noise: -1 });
    } catch (e) {
      expect((e as SpecError).issues.map((i) => i.path)).toEqual(['turns', 'noise']);
    }
  });
});
