import { ParamError, SpecError } from './errors.js';
import { cloneOptimizerState, type OptimizerState } from './optim.js';
import { paramShapes } from './params.js';
import { nullRecord } from './records.js';
import type { ModelSpec } from './spec.js';
import { sizeOf } from './tensor.js';

/** Optimizer position: restoring it (with the params) makes resumed training identical to uninterrupted training. */
export interface TrainingState {
  /** Optimizer steps taken; also the learning-rate schedule's position. */
  readonly step: number;
  readonly optimizer: OptimizerState;
  /**
   * Conv specs with BatchNorm: PyTorch's `num_batches_tracked`, the training-mode steps taken (one count shared by
   * every BatchNorm layer). Absent for specs without BatchNorm; restoring a state without it leaves the count as is.
   */
  readonly batchesTracked?: number;
}

/**
 * A `TrainingState`'s `batchesTracked` (BatchNorm's `num_batches_tracked`), checked: undefined when absent, otherwise
 * a non-negative safe integer (`SpecError` naming `batchesTracked`).
 */
export function checkBatchesTracked(state: TrainingState): number | undefined {
  const n: unknown = state.batchesTracked;
  if (n === undefined) return undefined;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new SpecError([{ path: 'batchesTracked', message: `expected a non-negative integer, got ${JSON.stringify(n)}` }], 'training state');
  }
  return n;
}

/** The contract's `TrainingState` for an optimizer state: a deep copy, buffers in their own float type. */
export function trainingStateOf(state: OptimizerState): TrainingState {
  return { step: state.step, optimizer: cloneOptimizerState(state) };
}

/**
 * An optimizer state restored from a `TrainingState` (a deep copy in `float`, Float32Array by default), after checking
 * that every buffer belongs to a parameter of the spec and has its size: otherwise one `ParamError` names each buffer.
 */
export function restoreOptimizerState(spec: ModelSpec, state: TrainingState, float: Float32ArrayConstructor | Float64ArrayConstructor = Float32Array): OptimizerState {
  const sizes = new Map(paramShapes(spec).map((p) => [p.name, p.shape]));
  const unexpected: string[] = [];
  const wrongShape: { name: string; expected: readonly number[]; actual: readonly number[] }[] = [];
  const slots: OptimizerState['slots'] = nullRecord();
  for (const [slotName, bufs] of Object.entries(state.optimizer.slots)) {
    slots[slotName] = nullRecord();
    for (const [name, buf] of Object.entries(bufs)) {
      const shape = sizes.get(name);
      if (!shape) unexpected.push(`${slotName}.${name}`);
      else if (buf.length !== sizeOf(shape)) wrongShape.push({ name: `${slotName}.${name}`, expected: [...shape], actual: [buf.length] });
      else slots[slotName][name] = float.from(buf);
    }
  }
  if (unexpected.length || wrongShape.length) throw new ParamError([], unexpected, wrongShape, 'optimizer buffers');
  return { step: state.step, slots };
}
