import type { ParamSet } from './params.js';
import type { Tensor } from './tensor.js';

/**
 * The norms of DESIGN.md's gradient report that depend on the architecture. Every norm is the L2 norm over the
 * whole tensor (batch included) of the gradient of the batch-mean loss; non-finite values are kept, never hidden.
 */
export interface ArchitectureNorms {
  /** Residual: ||dL/d(block output)|| for blocks 0..depth-1 (h after the add; after f in a plain net). */
  blockOutputGradNorms?: number[];
  /**
   * Residual: per block, the fraction of its activation units that are zero for every example of the batch. Dense
   * blocks: every activation output of the block. Conv BasicBlocks: the units (channel, y, x) of its ReLU after bn1
   * and of its output ReLU, counted together.
   */
  deadUnitFractions?: number[];
  /** Recurrent: total ||dL/dh_t|| through the recurrence, `[numLayers][T]`. */
  hiddenGradNorms?: number[][];
  /** LSTM: total ||dL/dc_t||, `[numLayers][T]`. */
  cellGradNorms?: number[][];
  /** Recurrent: ||dL/dx_t|| of the input, `[T]`. */
  inputGradNorms?: number[];
}

/** Gradients of one batch: what `gradscope probe` prints. */
export interface GradientResult extends ArchitectureNorms {
  readonly output: Tensor;
  readonly loss: number;
  /** Gradient of the batch-mean loss per parameter, PyTorch names and layouts. */
  readonly grads: ParamSet;
}

export interface ParamStats {
  /** ||dL/dθ|| before clipping. */
  gradNorm: number;
  /** ||θ|| before the step. */
  weightNorm: number;
  /** ||Δθ|| / ||θ before the step||. */
  updateRatio: number;
}

/** What the monitor sees after each monitored training step. */
export interface GradientReport extends ArchitectureNorms {
  /** 1 for the first training step. */
  step: number;
  loss: number;
  /** Learning rate used for this step. */
  lr: number;
  /** Total gradient norm over all parameters, before clipping. */
  gradNorm: number;
  /** Clip coefficient applied (1 when nothing was clipped). */
  clipCoef: number;
  params: Record<string, ParamStats>;
}
