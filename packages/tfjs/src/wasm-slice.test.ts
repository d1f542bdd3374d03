import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it, vi } from 'vitest';
import { activateDevice } from './device.js';

/** tfjs' own Slice on the cpu backend is the yardstick: the wasm kernel must give the same elements. */
async function sliceOn(device: 'cpu' | 'wasm', x: number[], shape: number[], begin: number[], size: number[]): Promise<number[]> {
  await activateDevice(device);
  const t = tf.tensor(x, shape);
  const out = tf.slice(t, begin, size);
  const values = Array.from(await out.data());
  tf.dispose([t, out]);
  return values;
}

describe('copy-free wasm Slice', () => {
  const cases: [string, number[], number[], number[]][] = [
    ['contiguous rows of a matrix', [5, 4], [1, 0], [3, 4]],
    ['a column block (split along the last axis)', [3, 8], [0, 2], [3, 4]],
    ['one timestep of [batch, T, gates] (unstack along axis 1)', [2, 5, 3], [0, 3, 0], [2, 1, 3]],
    ['an interior box of a rank-4 tensor', [2, 3, 4, 5], [1, 1, 2, 1], [1, 2, 2, 3]],
    ['a rank-5 box (past the original kernel\'s hand-written ranks)', [2, 2, 3, 2, 4], [0, 1, 1, 0, 1], [2, 1, 2, 2, 2]],
    ['an empty slice', [4, 4], [2, 0], [0, 4]],
  ];
  for (const [what, shape, begin, size] of cases) {
    it(`matches tfjs' cpu Slice: ${what}`, async () => {
      const x = Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i * 0.5 - 3);
      expect(await sliceOn('wasm', x, shape, begin, size)).toEqual(await sliceOn('cpu', x, shape, begin, size));
    });
  }

  it('does not read the whole input out of the wasm heap (tfjs 4.22 copied it on every slice)', async () => {
    await activateDevice('wasm');
    const x = tf.zeros([32, 50, 128]);
    const readSync = vi.spyOn(tf.backend(), 'readSync');
    const parts = tf.unstack(x, 1);
    const gates = tf.split(parts[0]!, 4, 1);
    const step = tf.slice(x, [0, 3, 0], [32, 1, 128]);
    expect([parts.length, gates.length, step.shape]).toEqual([50, 4, [32, 1, 128]]);
    expect(readSync).not.toHaveBeenCalled();
    readSync.mockRestore();
    tf.dispose([x, ...parts, ...gates, step]);
  });

  it('gives unstack and split their usual values and gradients on wasm', async () => {
    await activateDevice('wasm');
    const before = tf.memory().numTensors;
    const x = tf.tensor(Array.from({ length: 24 }, (_, i) => i), [2, 4, 3]);
    const parts = tf.unstack(x, 1);
    expect(Array.from(await parts[2]!.data())).toEqual([6, 7, 8, 18, 19, 20]);
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.split(v, 3, 2)[1]!, 2)))(x);
    expect(Array.from(await g.data())).toEqual(Array.from({ length: 24 }, (_, i) => (i % 3 === 1 ? 2 : 0)));
    tf.dispose([x, ...parts, g]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
