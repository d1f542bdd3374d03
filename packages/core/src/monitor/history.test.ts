import { describe, expect, it } from 'vitest';
import { recurrentReport, residualReport } from '../__fixtures__/reports.js';
import { createHistoryRecorder } from './history.js';

describe('createHistoryRecorder', () => {
  it('summarises a residual run as step-first block rows, ratios, dead units and the loss curve', () => {
    const recorder = createHistoryRecorder();
    recorder.onStep(residualReport(1, [1e-5, 0.1, 1], { deadUnitFractions: [0, 0.25, 0.5] }));
    recorder.onStep(residualReport(2, [1e-3, 0.2, 0.5], { deadUnitFractions: [0, 0.5, 0.75] }));
    const s = recorder.summary();
    expect(s.steps).toEqual([1, 2]);
    expect(s.loss).toEqual([1, 0.5]);
    expect(s.blockNorms).toEqual([[1e-5, 0.1, 1], [1e-3, 0.2, 0.5]]);
    expect(s.deadUnitFractions).toEqual([[0, 0.25, 0.5], [0, 0.5, 0.75]]);
    expect(s.firstLastRatio).toEqual([1e-5, 2e-3]);
    expect(s.params['head.weight']!.gradNorm).toEqual([1, 1]);
    expect(s.hiddenGradNorms).toBeUndefined();
  });

  it('keeps the per-layer, per-timestep grid of every recorded step of a recurrent run', () => {
    const recorder = createHistoryRecorder();
    recorder.onStep(recurrentReport(5, [[0.1, 0.2], [0.01, 1]], { cellGradNorms: [[1, 2], [3, 4]], inputGradNorms: [0.5, 0.6] }));
    recorder.onStep(recurrentReport(10, [[0.3, 0.4], [0.02, 2]], { cellGradNorms: [[5, 6], [7, 8]], inputGradNorms: [0.7, 0.8] }));
    const s = recorder.summary();
    expect(s.hiddenGradNorms).toEqual([[[0.1, 0.2], [0.01, 1]], [[0.3, 0.4], [0.02, 2]]]);
    expect(s.cellGradNorms![1]).toEqual([[5, 6], [7, 8]]);
    expect(s.inputGradNorms).toEqual([[0.5, 0.6], [0.7, 0.8]]);
    expect(s.firstLastRatio).toEqual([0.01, 0.01]);
    expect(s.clipCoef).toEqual([0.5, 0.5]);
    expect(s.blockNorms).toBeUndefined();
  });

  it('keeps only the selected parameters', () => {
    const recorder = createHistoryRecorder({ select: /weight_ih/ });
    recorder.onStep(recurrentReport(1, [[1, 1]]));
    expect(Object.keys(recorder.summary().params)).toEqual(['lstm.weight_ih_l0']);
    expect(Object.keys(recorder.reports[0]!.params)).toEqual(['lstm.weight_ih_l0']);
  });

  it('keeps non-finite values visible', () => {
    const recorder = createHistoryRecorder();
    recorder.onStep(residualReport(1, [NaN, Infinity], { loss: NaN }));
    expect(recorder.summary().loss).toEqual([NaN]);
    expect(recorder.summary().blockNorms).toEqual([[NaN, Infinity]]);
  });

  it('summarises an empty run as empty series', () => {
    expect(createHistoryRecorder().summary()).toEqual({ steps: [], loss: [], lr: [], gradNorm: [], clipCoef: [], params: {} });
  });
});
