import { describe, expect, it } from 'vitest';
import { torchSemantics } from './__fixtures__/torch-semantics.js';
import { ShapeError } from './errors.js';
import { computeLoss } from './loss.js';
import { relativeError } from './tensor.js';

describe('computeLoss matches torch.nn losses', () => {
  it.each(torchSemantics.losses.map((c) => [c.name, c] as const))('%s value and gradient', (_name, c) => {
    const { loss, grad } = computeLoss(c.loss, Float64Array.from(c.output), c.target, c.batch);
    expect(Math.abs(loss - c.value) / Math.abs(c.value)).toBeLessThanOrEqual(1e-12);
    expect(relativeError(grad, c.grad)).toBeLessThanOrEqual(1e-12);
  });

  it('names the bad label of a crossEntropy target', () => {
    const logits = new Float64Array([0, 1, 2, 3]);
    expect(() => computeLoss('crossEntropy', logits, [0, 2], 2)).toThrow(ShapeError);
    expect(() => computeLoss('crossEntropy', logits, [0, 2], 2)).toThrow('crossEntropy target[1] = 2 is not a class index in [0, 2)');
  });

  it('rejects an mse target of the wrong size', () => {
    expect(() => computeLoss('mse', new Float64Array(6), [1, 2], 2)).toThrow('mse target has 2 values, output has 6');
  });
});
