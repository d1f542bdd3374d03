import { describe, expect, it } from 'vitest';
import { torchSemantics } from './__fixtures__/torch-semantics.js';
import { learningRateAt } from './schedule.js';
import { relativeError } from './tensor.js';
import { scheduleSpecSchema } from './training.js';

describe('learningRateAt matches torch.optim.lr_scheduler over 12 steps', () => {
  it.each(torchSemantics.schedules.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const schedule = scheduleSpecSchema.parse(c.schedule);
    const lrs = c.lrs.map((_, step) => learningRateAt(schedule, c.baseLr, step));
    expect(relativeError(lrs, c.lrs)).toBeLessThanOrEqual(1e-12);
  });

  it('keeps the base rate under the constant schedule', () => {
    expect([0, 1, 1000].map((s) => learningRateAt({ type: 'constant' }, 0.3, s))).toEqual([0.3, 0.3, 0.3]);
  });
});
