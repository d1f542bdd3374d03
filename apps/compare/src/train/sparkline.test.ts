import { describe, expect, it } from 'vitest';
import { range, sample, sparkline } from './sparkline.js';

describe('sparklines of gradient norms', () => {
  it('draws decades evenly: a vanishing series climbs from ▁ to █', () => {
    expect(sparkline([1e-8, 1e-6, 1e-4, 1e-2, 1])).toBe('▁▃▅▆█');
    expect(range([1e-8, 1e-6, 1])).toBe('1e-8…1e0');
  });

  it('keeps zeros and non-finite values visible', () => {
    expect(sparkline([1, 0, NaN, Infinity, 10])).toBe('▁ !!█');
  });

  it('samples long series down to a width, keeping both ends', () => {
    expect(sample([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 4)).toEqual([0, 3, 6, 9]);
  });
});
