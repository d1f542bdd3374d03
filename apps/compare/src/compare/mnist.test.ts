import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMnistTask, loadMnistDigits, mnistDigitsDir, splitMnist, type MnistDigits } from './mnist.js';

/** The source files read independently of the loader: digit d's images, 784 values each. */
const source = Array.from({ length: 10 }, (_, d) => (JSON.parse(readFileSync(join(mnistDigitsDir(), `${d}.json`), 'utf8')) as { data: number[] }).data);

/** Finds which file and position an image came from by its pixels. */
function locate(pixels: ArrayLike<number>): { digit: number; position: number } | undefined {
  for (let d = 0; d < 10; d++) {
    const data = source[d]!;
    for (let p = 0; p * 784 < data.length; p++) {
      let same = true;
      for (let k = 0; k < 784 && same; k++) same = Math.abs(data[p * 784 + k]! - pixels[k]!) < 1e-5;
      if (same) return { digit: d, position: p };
    }
  }
  return undefined;
}

/** A small synthetic digit set: image i is filled with the value i / count. */
function synthetic(count: number): MnistDigits {
  const images = new Float32Array(count * 784);
  for (let i = 0; i < count; i++) images.fill(i / count, i * 784, (i + 1) * 784);
  return { images, labels: Uint8Array.from({ length: count }, (_, i) => i % 10), count };
}

describe('MNIST digits from the mnist package', () => {
  it('loads all 10,000 digits with labels in file order', () => {
    const digits = loadMnistDigits();
    expect(digits.count).toBe(10_000);
    expect(digits.images).toHaveLength(10_000 * 784);
    const perDigit = source.map((data) => data.length / 784);
    for (let d = 0; d < 10; d++) expect(digits.labels.filter((l) => l === d).length).toBe(perDigit[d]);
  });

  it('splits deterministically into disjoint train and test sets covering every digit', () => {
    const a = splitMnist(10_000, 7, 2000);
    expect(splitMnist(10_000, 7, 2000)).toEqual(a);
    expect(a.test).toHaveLength(2000);
    expect(a.train).toHaveLength(8000);
    const all = new Set([...a.train, ...a.test]);
    expect(all.size).toBe(10_000);
    expect(splitMnist(10_000, 8, 2000).test).not.toEqual(a.test);
  });

  it('test digits carry the label of the file they come from, pixels normalized as PyTorch does', () => {
    const task = createMnistTask({ seed: 3, testSize: 500 });
    const test = task.testSet(12);
    expect(test.input.shape).toEqual([12, 1, 28, 28]);
    expect(test.target.shape).toEqual([12]);
    for (let b = 0; b < 12; b++) {
      const pixels = Array.from(test.input.data.subarray(b * 784, (b + 1) * 784), (v) => v * 0.3081 + 0.1307);
      const found = locate(pixels);
      expect(found, `test example ${b}`).toBeDefined();
      expect(test.target.data[b]).toBe(found!.digit);
    }
  });

  it('downsamples 2× by averaging 2×2 blocks', () => {
    const full = createMnistTask({ seed: 1, testSize: 100 }).testSet(3);
    const half = createMnistTask({ seed: 1, testSize: 100, downsample: 2 }).testSet(3);
    expect(half.input.shape).toEqual([3, 1, 14, 14]);
    expect(half.target.data).toEqual(full.target.data);
    const raw = (b: number, y: number, x: number): number => full.input.data[b * 784 + y * 28 + x]!;
    for (const [b, y, x] of [[0, 7, 7], [1, 5, 9], [2, 10, 3]] as const) {
      const mean = (raw(b, 2 * y, 2 * x) + raw(b, 2 * y + 1, 2 * x) + raw(b, 2 * y, 2 * x + 1) + raw(b, 2 * y + 1, 2 * x + 1)) / 4;
      expect(half.input.data[b * 196 + y * 14 + x]).toBeCloseTo(mean, 5);
    }
  });

  it('training batches are reproducible and visit every training digit once per epoch, never a test digit', () => {
    const digits = synthetic(50);
    const task = createMnistTask({ seed: 2, testSize: 10, digits });
    const again = createMnistTask({ seed: 2, testSize: 10, digits });
    expect(again.trainBatch(8, 3)).toEqual(task.trainBatch(8, 3));
    const idOf = (v: number): number => Math.round((v * 0.3081 + 0.1307) * 50) || 0; // || 0: no -0
    const firstPixel = (b: { input: { data: Float32Array } }, i: number): number => b.input.data[i * 784]!;
    const seen = Array.from({ length: 5 }, (_, k) => task.trainBatch(8, k)).flatMap((b) => Array.from({ length: 8 }, (_, i) => idOf(firstPixel(b, i))));
    expect([...seen].sort((a, b) => a - b)).toEqual([...task.split.train].sort((a, b) => a - b));
    const test = task.testSet(10);
    const testIds = Array.from({ length: 10 }, (_, i) => idOf(firstPixel(test, i)));
    expect(testIds).toEqual([...task.split.test]);
    for (const id of testIds) expect(seen).not.toContain(id);
  });

  it('rejects bad options with the field named', () => {
    expect(() => createMnistTask({ seed: 0, testSize: 0, digits: synthetic(20) })).toThrow(/testSize/);
    expect(() => createMnistTask({ seed: 0, downsample: 3 as 2, digits: synthetic(20) })).toThrow(/downsample/);
  });
});
