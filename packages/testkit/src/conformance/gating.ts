import type { LossName, NetworkSpec, ReportField, Supports, TrainingConfig } from '@gradscope/core';

/** Why numeric agreement checks do not apply, or undefined when the backend computes PyTorch's equations. */
export function semanticsGap(supports: Supports): string | undefined {
  return supports.semantics === 'pytorch' ? undefined : `backend semantics is "${supports.semantics}", not "pytorch": only contract checks apply`;
}

/** Why a spec cannot run on the backend, or undefined when its manifest covers it. */
export function specGap(supports: Supports, spec: NetworkSpec): string | undefined {
  if (spec.kind === 'residual') {
    if (!supports.residual.variants.includes(spec.variant)) return `backend does not declare residual variant "${spec.variant}"`;
    if (!supports.residual.activations.includes(spec.block.activation)) return `backend does not declare activation "${spec.block.activation}"`;
    return undefined;
  }
  return supports.recurrent.cells.includes(spec.cell) ? undefined : `backend does not declare cell "${spec.cell}"`;
}

export function lossGap(supports: Supports, loss: LossName): string | undefined {
  return supports.losses.includes(loss) ? undefined : `backend does not declare loss "${loss}"`;
}

/** Why a training config cannot run on the backend, or undefined. */
export function trainingGap(supports: Supports, config: TrainingConfig): string | undefined {
  if (!supports.training) return 'backend does not declare training';
  if (!supports.optimizers.includes(config.optimizer.type)) return `backend does not declare optimizer "${config.optimizer.type}"`;
  if (!supports.schedules.includes(config.schedule.type)) return `backend does not declare schedule "${config.schedule.type}"`;
  if (config.clip && !supports.clipping.includes(config.clip.type)) return `backend does not declare clipping "${config.clip.type}"`;
  return lossGap(supports, config.loss);
}

export function reportGap(supports: Supports, field: ReportField): string | undefined {
  return supports.report.includes(field) ? undefined : `backend does not declare report field "${field}"`;
}

/** The report norms a spec produces (and the goldens carry). */
export function normFieldsOf(spec: NetworkSpec): ReportField[] {
  if (spec.kind === 'residual') return ['blockOutputGradNorms'];
  return spec.cell === 'lstm' ? ['hiddenGradNorms', 'cellGradNorms', 'inputGradNorms'] : ['hiddenGradNorms', 'inputGradNorms'];
}

export const firstGap = (...gaps: (string | undefined)[]): string | undefined => gaps.find((g) => g !== undefined);
