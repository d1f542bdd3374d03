import type { TrainingState } from './training-state.js';
import { batchNormModes, type BatchNormMode, type ConvResidualSpec } from './conv-spec.js';
import { NotSupportedError } from './errors.js';

/**
 * A conv model's BatchNorm bookkeeping as a torch module keeps it: the mode (`module.train()` / `module.eval()`,
 * `train` at first) and `num_batches_tracked`, one count shared by every BatchNorm layer. Each backend's conv model
 * holds one, so they all count and report the same way.
 */
export class BatchNormState {
  private current: BatchNormMode = 'train';
  private tracked = 0;

  constructor(
    private readonly spec: Pick<ConvResidualSpec, 'norm'>,
    /** Named in the `NotSupportedError` for an unknown mode. */
    private readonly backend: string,
  ) {}

  get mode(): BatchNormMode {
    return this.current;
  }

  setMode(mode: BatchNormMode): void {
    if (!batchNormModes.includes(mode)) throw new NotSupportedError(this.backend, `BatchNorm mode ${JSON.stringify(mode)}`, 'expected train or eval');
    this.current = mode;
  }

  /** Whether a training step's forward updates the running statistics: the net has BatchNorm and is in train mode. */
  get updatesRunningStats(): boolean {
    return this.spec.norm === 'batch' && this.current === 'train';
  }

  /** Training steps that updated the running statistics. */
  get batchesTracked(): number {
    return this.tracked;
  }

  /** Call once per training step, after it ran. */
  countStep(): void {
    if (this.updatesRunningStats) this.tracked++;
  }

  /** The state with `batchesTracked` added when the net has BatchNorm. */
  addTo(state: TrainingState): TrainingState {
    return this.spec.norm === 'batch' ? { ...state, batchesTracked: this.tracked } : state;
  }

  /** Takes a restored count (see `checkBatchesTracked`); a state without one leaves the count as it is. */
  restore(batchesTracked: number | undefined): void {
    if (batchesTracked !== undefined && this.spec.norm === 'batch') this.tracked = batchesTracked;
  }
}
