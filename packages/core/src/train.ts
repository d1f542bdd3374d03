import type { Model, TrainingState } from './backend.js';
import type { Checkpoint } from './checkpoint.js';
import { NonFiniteLossError, SpecError, type Issue } from './errors.js';
import type { GradientMonitor } from './monitor/monitor.js';
import { cloneOptimizerState } from './optim.js';
import { cloneParams, type ParamSet } from './params.js';
import type { GradientReport } from './report.js';
import { isConvResidual, type ModelSpec } from './spec.js';
import { formatShape } from './tensor.js';
import type { Task } from './tasks/task.js';
import { parseTrainingConfig, type TrainingConfig, type TrainingConfigInput } from './training.js';

/** Emitted after every training step. */
export interface TrainProgress {
  /** The optimizer step just taken (1 for the first step of a fresh run). */
  readonly step: number;
  readonly loss: number;
  readonly lr: number;
  /** Global gradient norm before clipping. */
  readonly gradNorm: number;
  /** Milliseconds since `train()` started. */
  readonly elapsedMs: number;
}

export interface TrainOptions {
  /** Any backend's model; it must already hold the weights to start from. */
  readonly model: Model;
  /**
   * Its input/output sizes (an image task's `inputShape` for a conv spec) and loss must fit the model's spec.
   * Batch `k` of the task feeds optimizer step `k + 1`.
   */
  readonly task: Task;
  /** How many steps to run in this call (counted from `initialState.step` when resuming). */
  readonly steps: number;
  readonly batchSize: number;
  /** Optimizer, schedule, clipping; the loss defaults to the task's. */
  readonly config: TrainingConfigInput | TrainingConfig;
  readonly monitors?: readonly GradientMonitor[];
  /** Monitors see steps that are multiples of this (default 1); other steps skip the report entirely. */
  readonly reportEvery?: number;
  readonly onProgress?: (progress: TrainProgress) => void;
  /** Calls `onCheckpoint` after every step that is a multiple of this. */
  readonly checkpointEvery?: number;
  /** Receives a snapshot (e.g. for core's `writeCheckpointFile`); awaited before training goes on. */
  readonly onCheckpoint?: (checkpoint: Checkpoint) => void | Promise<void>;
  /** Aborting stops training before the next step. */
  readonly signal?: AbortSignal;
  /** Resume: the optimizer state and step of a checkpoint (the model must hold the checkpoint's params). */
  readonly initialState?: TrainingState;
}

export type StopReason = 'completed' | 'monitor' | 'aborted' | 'nonFiniteLoss';

export interface TrainResult {
  readonly stopReason: StopReason;
  /** A monitor's reason, or the `NonFiniteLossError` message. */
  readonly message?: string;
  /** Set when the loss became non-finite; the model then holds the last good weights (see `train`). */
  readonly error?: NonFiniteLossError;
  /** The optimizer step the model is at when `train` returns (the restored one after a non-finite loss). */
  readonly finalStep: number;
  /** The loss of every step taken in this call, the non-finite one included. */
  readonly losses: number[];
  /** The most recent gradient report, if any step was monitored. */
  readonly lastReport?: GradientReport;
  readonly elapsedMs: number;
}

interface Snapshot {
  readonly params: ParamSet;
  readonly state: TrainingState;
}

/**
 * Trains any backend's model on a task: configures training (and restores `initialState` to resume), runs
 * `steps` optimizer steps, asks the backend for a gradient report only on steps a monitor wants, feeds the
 * monitors, emits progress and checkpoints, and stops cleanly when a monitor asks, when `signal` aborts, or when
 * the loss is not finite.
 *
 * A step's loss is measured on the weights before its update, so a non-finite loss at step k condemns the
 * weights step k-1 produced. `train` then restores the last weights whose loss was finite (those of step k-2,
 * or the starting weights if nothing better exists) with their optimizer state, and returns
 * `stopReason: 'nonFiniteLoss'` with a `NonFiniteLossError`. Monitors' `onEnd` is always awaited.
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const { model, task, monitors = [], reportEvery = 1, checkpointEvery, onCheckpoint, signal } = options;
  const config = checkFit(options);
  const started = performance.now();
  const elapsed = (): number => performance.now() - started;

  const firstStep = options.initialState?.step ?? 0;
  const losses: number[] = [];
  let lastReport: GradientReport | undefined;
  let stop: { reason: StopReason; message?: string; error?: NonFiniteLossError } = { reason: 'completed' };
  let finalStep = firstStep;
  // `verified` gave a finite loss; `current` holds the weights the next step starts from (not yet verified).
  let verified: Snapshot | undefined;
  try {
    model.configureTraining(config);
    if (options.initialState) await model.setTrainingState(options.initialState);
    for (let i = 0; i < options.steps; i++) {
      if (signal?.aborted) {
        stop = { reason: 'aborted', message: `aborted before step ${firstStep + i + 1}` };
        break;
      }
      const step = firstStep + i + 1;
      const current = await snapshot(model);
      const wanted = step % reportEvery === 0 ? monitors.filter((m) => m.wants?.(step) ?? true) : [];
      const result = await model.trainStep(task.trainBatch(options.batchSize, step - 1), { report: wanted.length > 0 });
      losses.push(result.loss);
      finalStep = result.step;
      options.onProgress?.({ step: result.step, loss: result.loss, lr: result.lr, gradNorm: result.gradNorm, elapsedMs: elapsed() });
      if (result.report) {
        lastReport = result.report;
        for (const monitor of wanted) {
          const decision = monitor.onStep(result.report);
          if (decision?.stop && stop.reason === 'completed') stop = { reason: 'monitor', message: decision.reason };
        }
      }
      if (!Number.isFinite(result.loss)) {
        const good = verified ?? current;
        await model.setParams(good.params);
        await model.setTrainingState(good.state);
        finalStep = good.state.step;
        const error = new NonFiniteLossError(result.step, result.loss);
        stop = { reason: 'nonFiniteLoss', message: `${error.message} (those of step ${finalStep})`, error };
        break;
      }
      verified = current;
      if (checkpointEvery && onCheckpoint && result.step % checkpointEvery === 0) {
        const { params, state } = await snapshot(model);
        await onCheckpoint({ spec: model.spec, params, config, state });
      }
      if (stop.reason !== 'completed') break;
    }
  } finally {
    for (const monitor of monitors) await monitor.onEnd?.();
  }
  return {
    stopReason: stop.reason,
    ...(stop.message === undefined ? {} : { message: stop.message }),
    ...(stop.error ? { error: stop.error } : {}),
    finalStep,
    losses,
    ...(lastReport ? { lastReport } : {}),
    elapsedMs: elapsed(),
  };
}

async function snapshot(model: Model): Promise<Snapshot> {
  const params = cloneParams(await model.getParams());
  const state = await model.getTrainingState();
  return { params, state: { ...state, optimizer: cloneOptimizerState(state.optimizer) } };
}

/** Validates the run against the model and task, naming every mismatch; returns the parsed config. */
function checkFit(options: TrainOptions): TrainingConfig {
  const { model, task } = options;
  const spec = model.spec;
  const issues: Issue[] = [];
  const count = (path: string, v: number | undefined, min: number): void => {
    if (v !== undefined && (!Number.isInteger(v) || v < min)) issues.push({ path, message: `expected an integer >= ${min}, got ${v}` });
  };
  count('steps', options.steps, 0);
  count('batchSize', options.batchSize, 1);
  count('reportEvery', options.reportEvery, 1);
  count('checkpointEvery', options.checkpointEvery, 1);
  issues.push(...taskInputIssues(spec, task));
  if (spec.outputSize !== task.outputSize) issues.push({ path: 'task', message: `${task.name} has outputSize ${task.outputSize}, the model's spec ${spec.outputSize}` });
  const requested = options.config.loss;
  if (requested !== undefined && requested !== task.loss) issues.push({ path: 'config.loss', message: `${task.name} is trained with ${task.loss}, got ${requested}` });
  if (issues.length) throw new SpecError(issues, 'training run');
  return parseTrainingConfig({ ...options.config, loss: task.loss });
}

const taskKind = (task: Task): string => (task.sequenceLength !== undefined ? 'sequence' : task.inputShape ? 'image' : 'dense');

/** Whether the task's examples have the shape the spec takes: `[C, H, W]` images for conv, sequences for recurrent. */
export function taskInputIssues(spec: ModelSpec, task: Task): Issue[] {
  const wanted = isConvResidual(spec) ? 'image' : spec.kind === 'recurrent' ? 'sequence' : 'dense';
  const what = isConvResidual(spec) ? 'conv residual' : spec.kind;
  if (taskKind(task) !== wanted) return [{ path: 'task', message: `${task.name} is a${taskKind(task) === 'image' ? 'n' : ''} ${taskKind(task)} task; a ${what} model needs a${wanted === 'image' ? 'n' : ''} ${wanted} one` }];
  if (isConvResidual(spec)) {
    const want = [spec.inputChannels, ...spec.inputSize];
    const got = task.inputShape!;
    if (want.some((d, i) => d !== got[i])) return [{ path: 'task', message: `${task.name} has images ${formatShape(got)}, the model's spec takes ${formatShape(want)} (channels, H, W)` }];
    return [];
  }
  if (spec.inputSize !== task.inputSize) return [{ path: 'task', message: `${task.name} has inputSize ${task.inputSize}, the model's spec ${spec.inputSize}` }];
  return [];
}
