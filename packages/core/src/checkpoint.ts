import type { TrainingState } from './backend.js';
import type { ParamSet } from './params.js';
import type { NetworkSpec } from './spec.js';
import type { TrainingConfig } from './training.js';

/**
 * Everything needed to resume training exactly: spec, weights, training config, optimizer state and step
 * (the step is also the learning-rate schedule's position). Stored as one safetensors file.
 */
export interface Checkpoint {
  readonly spec: NetworkSpec;
  readonly params: ParamSet;
  readonly config: TrainingConfig;
  readonly state: TrainingState;
}
