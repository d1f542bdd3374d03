import { describe, expect, it } from 'vitest';
import { assertSpecSupported, unsupportedSpecFeature, type Supports } from './backend.js';
import { NotSupportedError } from './errors.js';
import { parseModelSpec } from './spec.js';

const denseOnly = { residual: { variants: ['dense'], activations: ['relu'] }, recurrent: { cells: [] } } as const satisfies Pick<Supports, 'residual' | 'recurrent'>;
const conv = parseModelSpec({ kind: 'residual', variant: 'conv', preset: 'resnet20' });

describe('unsupportedSpecFeature for conv specs', () => {
  it('names the conv variant for a backend that declares only dense residual nets', () => {
    expect(unsupportedSpecFeature(denseOnly as unknown as Supports, conv)).toBe('residual variant "conv"');
    expect(() => assertSpecSupported({ name: 'dense-only', supports: denseOnly as unknown as Supports }, conv)).toThrow(NotSupportedError);
    expect(() => assertSpecSupported({ name: 'dense-only', supports: denseOnly as unknown as Supports }, conv)).toThrow('dense-only backend does not support residual variant "conv"');
  });

  it('accepts a conv spec when the backend declares the variant', () => {
    const withConv = { ...denseOnly, residual: { variants: ['dense', 'conv'], activations: [] } } as unknown as Supports;
    expect(unsupportedSpecFeature(withConv, conv)).toBeUndefined();
  });
});
