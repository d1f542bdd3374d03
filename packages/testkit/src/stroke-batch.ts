import { createRng, type Batch, type ConvResidualSpec } from '@gradscope/core';

/**
 * Digit-like images: a flat background with a few bright strokes, normalized as MNIST is. Most pixels share one
 * value, so deep BatchNorm layers see channels whose gradient sums cancel, which is where float32 summation order
 * shows. Labels are seeded class indices (for crossEntropy).
 */
export function strokeBatch(spec: ConvResidualSpec, size: number, seed: number): Batch {
  const rng = createRng(seed);
  const [h, w] = spec.inputSize;
  const pixels = h * w * spec.inputChannels;
  const input = new Float32Array(size * pixels).fill(-0.4242);
  for (let b = 0; b < size; b++) {
    for (let s = 0; s < 3; s++) {
      const horizontal = rng.uniform() < 0.5;
      const [y0, x0] = [rng.int(h), rng.int(w)];
      const length = 3 + rng.int(Math.max(1, Math.min(h, w) - 3));
      for (let k = 0; k < length; k++) {
        const [y, x] = horizontal ? [y0, x0 + k] : [y0 + k, x0];
        if (y < h && x < w) for (let c = 0; c < spec.inputChannels; c++) input[b * pixels + (c * h + y) * w + x] = 2.8;
      }
    }
  }
  const target = Float32Array.from({ length: size }, () => rng.int(spec.outputSize));
  return { input: { shape: [size, spec.inputChannels, h, w], data: input }, target: { shape: [size], data: target } };
}
