import type { ScheduleSpec } from './training.js';

/**
 * Learning rate for the optimizer step that follows `step` completed steps (0 for the first),
 * as torch.optim.lr_scheduler gives it when `scheduler.step()` is called after every `optimizer.step()`.
 */
export function learningRateAt(schedule: ScheduleSpec, baseLr: number, step: number): number {
  switch (schedule.type) {
    case 'constant':
      return baseLr;
    case 'step':
      return baseLr * schedule.gamma ** Math.floor(step / schedule.stepSize);
    case 'cosine':
      // CosineAnnealingLR's closed form; past tMax it keeps following the cosine, as PyTorch does.
      return schedule.etaMin + ((baseLr - schedule.etaMin) * (1 + Math.cos((Math.PI * step) / schedule.tMax))) / 2;
  }
}
