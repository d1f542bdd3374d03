import { z } from 'zod';
import { SpecError } from './errors.js';
import { toIssues } from './zod-issues.js';

export const lossNames = ['mse', 'crossEntropy'] as const;
/** `mse`: mean over all elements (torch.nn.MSELoss). `crossEntropy`: batch mean of -log softmax(logits)[label]. */
export type LossName = (typeof lossNames)[number];

const positive = z.number().positive();
const nonNegative = z.number().min(0);

export const optimizerSpecSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('sgd'),
    lr: positive,
    momentum: nonNegative.default(0),
    dampening: nonNegative.default(0),
    nesterov: z.boolean().default(false),
    weightDecay: nonNegative.default(0),
  }).refine((o) => !o.nesterov || (o.momentum > 0 && o.dampening === 0), {
    path: ['nesterov'],
    message: 'nesterov needs momentum > 0 and dampening 0 (torch.optim.SGD rejects it otherwise)',
  }),
  z.strictObject({
    type: z.literal('adam'),
    lr: positive,
    betas: z.tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)]).default([0.9, 0.999]),
    eps: positive.default(1e-8),
    weightDecay: nonNegative.default(0),
  }),
  z.strictObject({
    type: z.literal('adamw'),
    lr: positive,
    betas: z.tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)]).default([0.9, 0.999]),
    eps: positive.default(1e-8),
    weightDecay: nonNegative.default(0.01),
  }),
]);
/** torch.optim semantics: SGD, Adam (L2 decay added to the gradient), AdamW (decoupled decay). */
export type OptimizerSpec = z.output<typeof optimizerSpecSchema>;
export type OptimizerName = OptimizerSpec['type'];
export const optimizerNames: readonly OptimizerName[] = ['sgd', 'adam', 'adamw'];

export const scheduleSpecSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('constant') }),
  z.strictObject({ type: z.literal('step'), stepSize: z.number().int().min(1), gamma: positive.default(0.1) }),
  z.strictObject({ type: z.literal('cosine'), tMax: z.number().int().min(1), etaMin: nonNegative.default(0) }),
]);
/** torch.optim.lr_scheduler semantics (StepLR, CosineAnnealingLR), stepped once per optimizer step. */
export type ScheduleSpec = z.output<typeof scheduleSpecSchema>;
export type ScheduleName = ScheduleSpec['type'];
export const scheduleNames: readonly ScheduleName[] = ['constant', 'step', 'cosine'];

export const clipSpecSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('norm'), maxNorm: positive }),
  z.strictObject({ type: z.literal('value'), clipValue: positive }),
]);
/** `clip_grad_norm_` (total 2-norm) or `clip_grad_value_`, applied to the raw gradients before the optimizer. */
export type ClipSpec = z.output<typeof clipSpecSchema>;
export type ClipMode = ClipSpec['type'];
export const clipModes: readonly ClipMode[] = ['norm', 'value'];

export const trainingConfigSchema = z.strictObject({
  loss: z.enum(lossNames).default('mse'),
  optimizer: optimizerSpecSchema,
  schedule: scheduleSpecSchema.default({ type: 'constant' }),
  clip: clipSpecSchema.optional(),
});
/** Everything that defines a training step besides the model and the batch. */
export type TrainingConfig = z.output<typeof trainingConfigSchema>;
export type TrainingConfigInput = z.input<typeof trainingConfigSchema>;

/** Validates a training config (JSON or code), filling PyTorch's defaults. */
export function parseTrainingConfig(json: unknown): TrainingConfig {
  const result = trainingConfigSchema.safeParse(json, { reportInput: true });
  if (!result.success) throw new SpecError(toIssues(result.error), 'training config');
  return result.data;
}
