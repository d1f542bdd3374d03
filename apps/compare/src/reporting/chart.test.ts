import { describe, expect, it } from 'vitest';
import { renderChartSvg } from './chart.js';

describe('SVG charts', () => {
  it('renders every series name and a log axis labelled in powers of ten, with no script or external link', () => {
    const svg = renderChartSvg({
      id: 'x',
      title: 'norms',
      caption: 'c',
      kind: 'line',
      xName: 'block',
      yName: 'norm',
      log: true,
      series: [
        { name: 'residual · reference', color: '#555', data: [[0, 0.5], [1, 0.2], [2, 0.1]] },
        { name: 'plain · reference', color: '#555', dash: 'dashed', data: [[0, 1e-7], [1, null], [2, 0.1]] },
      ],
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('residual · reference');
    expect(svg).toContain('plain · reference');
    const ticks = [...svg.matchAll(/>(\d(?:\.\d+)?e-?\d+)</g)].map((m) => Number(m[1]));
    expect(ticks).toContain(1e-7);
    expect(ticks).toContain(1e-1);
    for (const v of ticks) expect(Number.isInteger(Math.log10(v)), `tick ${v}`).toBe(true);
    expect(svg).not.toMatch(/<script|href="http|url\(http/);
  });
});

describe('heatmap charts', () => {
  it('colours cells on a log10 scale labelled in decades and leaves zero or underflowed cells empty', () => {
    const svg = renderChartSvg({
      id: 'h',
      title: 'grid',
      caption: 'c',
      kind: 'heatmap',
      xName: 't',
      yName: 'step',
      log: true,
      series: [],
      heatmap: { xCategories: ['0', '1', '2'], yCategories: ['0', '50'], cells: [[0, 0, 1e-12], [1, 0, 1e-3], [2, 0, 0.5], [0, 1, 0], [1, 1, null], [2, 1, 0.1]] },
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('1e-12');
    expect(svg).toContain('1e0');
    // 4 drawable cells (two are empty), each a filled rect
    const fills = new Set([...svg.matchAll(/<path d="M[^"]*" fill="(rgb[^"]+|#[0-9a-f]{6})"/gi)].map((m) => m[1]));
    expect(fills.size).toBeGreaterThanOrEqual(3);
  });
});
