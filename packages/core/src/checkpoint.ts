import type { TrainingState } from './training-state.js';
import type { ParamSet } from './params.js';
import type { ModelSpec } from './spec.js';
import type { TrainingConfig } from './training.js';

/**
 * Everything needed to resume training exactly: spec, weights, training config, optimizer state and step
 * (the step is also the learning-rate schedule's position). Stored as one safetensors file. A conv spec's params
 * include the BatchNorm running statistics; its `num_batches_tracked` travels in `state.batchesTracked`.
 */
export interface Checkpoint {
  readonly spec: ModelSpec;
  readonly params: ParamSet;
  readonly config: TrainingConfig;
  readonly state: TrainingState;
}
