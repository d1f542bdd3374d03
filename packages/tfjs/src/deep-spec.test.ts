import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { describeDeepSpec } from '@gradscope/testkit/conformance';
import { createTfjsBackend } from './backend.js';
import { valueAndGrads } from './gradients.js';

describeDeepSpec('tfjs', () => createTfjsBackend());

describe('tfjs gradients of many tensors', () => {
  // tf.valueAndGrads(f)(xs) calls f(...xs): with the 131,076 weights of 1024 x 64 layers (allowed by maxLayers) it
  // threw "Maximum call stack size exceeded" (and left the wasm engine unusable); the models' helper does not spread
  it('takes gradients with respect to 150,000 tensors (tf.valueAndGrads overflows the stack there)', async () => {
    const backend = await createTfjsBackend({ backend: 'cpu' }); // on wasm, AddN over 150,000 inputs fails: memory access out of bounds
    try {
      tf.tidy(() => {
        const xs = Array.from({ length: 150_000 }, () => tf.scalar(1));
        const { value, grads } = valueAndGrads(() => tf.addN(xs), xs);
        expect(value.dataSync()[0]).toBe(150_000);
        expect(grads).toHaveLength(150_000);
      });
    } finally {
      await backend.dispose();
    }
  });
});
