// Gradient reports for the monitor and train tests (fixtures are excluded from the build).
import type { GradientReport, ParamStats } from '../report.js';

const stats = (gradNorm: number): ParamStats => ({ gradNorm, weightNorm: 1, updateRatio: 0.01 });

export function residualReport(step: number, blockNorms: number[], extra: Partial<GradientReport> = {}): GradientReport {
  return {
    step, loss: 1 / step, lr: 0.1, gradNorm: 1, clipCoef: 1,
    params: { 'stem.weight': stats(0.5), 'blocks.0.0.weight': stats(0.25), 'head.weight': stats(1) },
    blockOutputGradNorms: blockNorms,
    ...extra,
  };
}

export function recurrentReport(step: number, hidden: number[][], extra: Partial<GradientReport> = {}): GradientReport {
  return {
    step, loss: 0.5, lr: 0.01, gradNorm: 2, clipCoef: 0.5,
    params: { 'lstm.weight_ih_l0': stats(0.3), 'fc.weight': stats(0.7) },
    hiddenGradNorms: hidden,
    ...extra,
  };
}
