import { describe, expect, it } from 'vitest';
import { float64, torchSemantics } from './__fixtures__/torch-semantics.js';
import { clipGradients } from './clip.js';
import { relativeError } from './tensor.js';

describe('clipGradients matches torch.nn.utils', () => {
  it.each(torchSemantics.clipping.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const grads = float64(c.grads);
    const result = clipGradients(grads, c.clip);
    expect(Math.abs(result.totalNorm - c.totalNorm) / c.totalNorm).toBeLessThanOrEqual(1e-12);
    expect(Math.abs(result.coef - c.coef) / c.coef).toBeLessThanOrEqual(1e-12);
    for (const [name, expected] of Object.entries(c.clipped)) {
      expect(relativeError(grads[name]!, expected.data), name).toBeLessThanOrEqual(1e-12);
    }
  });

  it('covers a case that clips and one that does not', () => {
    const coefs = torchSemantics.clipping.filter((c) => c.clip.type === 'norm').map((c) => c.coef);
    expect(coefs.some((k) => k < 1)).toBe(true);
    expect(coefs).toContain(1);
  });

  it('reports the total norm and leaves gradients alone without a clip spec', () => {
    const grads = { a: new Float64Array([3, 0]), b: new Float64Array([4]) };
    expect(clipGradients(grads, undefined)).toEqual({ totalNorm: 5, coef: 1 });
    expect([...grads.a, ...grads.b]).toEqual([3, 0, 4]);
  });

  it('reports a non-finite total norm instead of hiding it', () => {
    const grads = { a: new Float64Array([NaN, 1]) };
    expect(clipGradients(grads, { type: 'norm', maxNorm: 1 }).totalNorm).toBeNaN();
  });
});
