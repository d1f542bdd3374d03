// Typed access to torch-semantics.json, written by tools/torch/make_fixtures.py semantics (PyTorch 1.13, float64).
import { readFileSync } from 'node:fs';
import type { ClipSpec, LossName, TrainingConfigInput } from '../training.js';

// Specs are stored as a user writes them (defaults left out); tests parse them, which checks the defaults too.
type OptimizerInput = TrainingConfigInput['optimizer'];
type ScheduleInput = NonNullable<TrainingConfigInput['schedule']>;

export interface NamedTensor {
  readonly shape: number[];
  readonly data: number[];
}
export type NamedTensors = Record<string, NamedTensor>;

export interface OptimizerCase {
  readonly name: string;
  readonly optimizer: OptimizerInput;
  readonly params: NamedTensors;
  readonly grads: NamedTensors[];
  /** Parameters after each optimizer step. */
  readonly after: NamedTensors[];
}

export interface ScheduleCase {
  readonly name: string;
  readonly schedule: ScheduleInput;
  readonly baseLr: number;
  /** The rate optimizer step k (0-based) uses. */
  readonly lrs: number[];
}

export interface ClipCase {
  readonly name: string;
  readonly clip: ClipSpec;
  readonly grads: NamedTensors;
  readonly clipped: NamedTensors;
  readonly totalNorm: number;
  readonly coef: number;
}

export interface LossCase {
  readonly name: string;
  readonly loss: LossName;
  readonly batch: number;
  readonly output: number[];
  readonly target: number[];
  readonly value: number;
  readonly grad: number[];
}

export interface TrainingStepCase {
  readonly config: TrainingConfigInput;
  readonly params: NamedTensors;
  readonly grads: NamedTensors[];
  readonly steps: {
    readonly lr: number;
    readonly gradNorm: number;
    readonly clipCoef: number;
    readonly params: NamedTensors;
    readonly stats: Record<string, { gradNorm: number; weightNorm: number; updateRatio: number }>;
  }[];
}

export interface TorchSemantics {
  readonly torch: string;
  readonly optimizers: OptimizerCase[];
  readonly schedules: ScheduleCase[];
  readonly clipping: ClipCase[];
  readonly losses: LossCase[];
  readonly trainingStep: TrainingStepCase;
}

export const torchSemantics: TorchSemantics = JSON.parse(
  readFileSync(new URL('./torch-semantics.json', import.meta.url), 'utf8'),
) as TorchSemantics;

/** Float64 copies of named tensors, as the helpers under test modify arrays in place. */
export function float64(tensors: NamedTensors): Record<string, Float64Array> {
  return Object.fromEntries(Object.entries(tensors).map(([n, t]) => [n, Float64Array.from(t.data)]));
}
