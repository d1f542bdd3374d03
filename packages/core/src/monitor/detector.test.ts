import { describe, expect, it } from 'vitest';
import { recurrentReport, residualReport } from '../__fixtures__/reports.js';
import { createGradientDetector, defaultDetectorThresholds, type GradientWarning } from './detector.js';

describe('createGradientDetector', () => {
  it('documents its default thresholds', () => {
    expect(defaultDetectorThresholds).toEqual({ vanishingRatio: 1e-4, vanishingNorm: 1e-8, explodingNorm: 1e3, explodingGrowth: 1e2, deadUnitFraction: 0.9 });
  });

  it('is quiet on a healthy step', () => {
    const d = createGradientDetector();
    expect(d.onStep(residualReport(1, [0.5, 0.8, 1]))).toBeUndefined();
    expect(d.warnings).toEqual([]);
  });

  it('flags a vanishing first/last ratio and the weakest block below the norm threshold', () => {
    const d = createGradientDetector();
    d.onStep(residualReport(7, [3e-9, 1e-9, 1e-3, 1]));
    expect(d.warnings.map((w) => [w.kind, w.where, w.value, w.threshold])).toEqual([
      ['vanishing', { type: 'block', block: 1 }, 1e-9, 1e-8],
      ['vanishing', { type: 'firstLast' }, 3e-9, 1e-4],
    ]);
    expect(d.warnings[0]!.message).toBe('step 7: vanishing gradient at block 1: ||dL/dh|| = 1.00e-9 < 1.00e-8');
  });

  it('points at the layer and timestep of a vanishing recurrent gradient', () => {
    const d = createGradientDetector({ vanishingNorm: 1e-6 });
    d.onStep(recurrentReport(3, [[1e-7, 1e-9, 0.1], [0.5, 0.5, 0.5]], { cellGradNorms: [[1, 1, 1], [2e-7, 1, 1]] }));
    expect(d.warnings.map((w) => w.where)).toEqual([
      { type: 'timestep', state: 'h', layer: 0, t: 1 },
      { type: 'timestep', state: 'c', layer: 1, t: 0 },
    ]);
    expect(d.warnings[0]!.message).toBe('step 3: vanishing gradient at layer 0 timestep 1 (h): ||dL/dh_t|| = 1.00e-9 < 1.00e-6');
  });

  it('flags an exploding global norm and a sudden growth', () => {
    const d = createGradientDetector({ explodingNorm: 100, explodingGrowth: 10 });
    d.onStep(residualReport(1, [1, 1], { gradNorm: 2 }));
    d.onStep(residualReport(2, [1, 1], { gradNorm: 50 }));
    d.onStep(residualReport(3, [1, 1], { gradNorm: 500 }));
    expect(d.warnings.map((w) => [w.step, w.kind, w.value, w.threshold])).toEqual([
      [2, 'exploding', 25, 10],
      [3, 'exploding', 500, 100],
    ]);
  });

  it('counts non-finite values as exploding whatever the thresholds', () => {
    const d = createGradientDetector({ explodingNorm: Infinity, explodingGrowth: Infinity, vanishingNorm: 0, vanishingRatio: 0 });
    const report = residualReport(4, [NaN, 1], { loss: Infinity, gradNorm: NaN });
    report.params['head.weight'] = { gradNorm: -Infinity, weightNorm: 1, updateRatio: 0 };
    d.onStep(report);
    expect(d.warnings.map((w) => [w.kind, w.where.type, w.value])).toEqual([
      ['exploding', 'loss', Infinity],
      ['exploding', 'global', NaN],
      ['exploding', 'block', NaN],
      ['exploding', 'param', -Infinity],
    ]);
    expect(d.warnings[1]!.message).toBe('step 4: exploding gradient over all parameters: ||g|| = NaN');
  });

  it('watches only the selected parameters', () => {
    const d = createGradientDetector({ select: ['head.weight'] });
    const report = residualReport(1, [1, 1]);
    report.params['stem.weight'] = { gradNorm: 0, weightNorm: 1, updateRatio: 0 };
    d.onStep(report);
    expect(d.warnings).toEqual([]);
    const all = createGradientDetector();
    all.onStep(report);
    expect(all.warnings.map((w) => w.where)).toEqual([{ type: 'param', name: 'stem.weight' }]);
  });

  it('warns about blocks whose units are mostly dead', () => {
    const d = createGradientDetector();
    d.onStep(residualReport(2, [1, 1, 1], { deadUnitFractions: [0.5, 0.9, 1] }));
    expect(d.warnings.map((w) => [w.kind, w.where, w.value])).toEqual([
      ['deadUnits', { type: 'block', block: 1 }, 0.9],
      ['deadUnits', { type: 'block', block: 2 }, 1],
    ]);
    expect(d.warnings[1]!.message).toBe('step 2: dead units at block 2: dead fraction = 1.00 >= 0.900');
  });

  it('asks to stop on the kinds in stopOn, and calls onWarning for each warning', () => {
    const seen: GradientWarning[] = [];
    const d = createGradientDetector({ stopOn: ['exploding'], onWarning: (w) => seen.push(w) });
    expect(d.onStep(residualReport(1, [1e-12, 1]))).toBeUndefined();
    const decision = d.onStep(residualReport(2, [1, 1], { gradNorm: 5e3 }));
    expect(decision).toEqual({ stop: true, reason: 'step 2: exploding gradient over all parameters: ||g|| = 5.00e+3 > 1.00e+3' });
    expect(seen).toEqual(d.warnings);
  });
});
