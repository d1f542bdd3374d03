import type { Model } from './backend.js';
import type { TrainingState } from './training-state.js';
import type { Checkpoint } from './checkpoint.js';
import { NonFiniteLossError, SpecError, type Issue } from './errors.js';
import type { GradientMonitor } from './monitor/monitor.js';
import { cloneOptimizerState } from './optim.js';
import { cloneParams } from './params.js';
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
  /** Set when a step was refused as non-finite; the model then holds the weights of the step before (see `train`). */
  readonly error?: NonFiniteLossError;
  /** The optimizer step the model is at when `train` returns (the one before a refused step). */
  readonly finalStep: number;
  /** The loss of every step attempted in this call, the refused one included. */
  readonly losses: number[];
  /** The most recent gradient report, if any step was monitored. */
  readonly lastReport?: GradientReport;
  readonly elapsedMs: number;
}

/**
 * Trains any backend's model on a task: configures training (and restores `initialState` to resume), runs
 * `steps` optimizer steps, asks the backend for a gradient report only on steps a monitor wants, feeds the
 * monitors, emits progress and checkpoints, and stops cleanly when a monitor asks, when `signal` aborts, or when
 * a step is refused as non-finite.
 *
 * Every backend refuses a step k whose loss, gradients or new weights are not finite (`StepResult.nonFinite`), so
 * the model still holds the weights of step k-1. `train` then stops with `stopReason: 'nonFiniteLoss'` and a
 * `NonFiniteLossError`, and hands those weights to `onCheckpoint` (when checkpointing) so the run's last good
 * state is on disk. Monitors' `onEnd` is always awaited.
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
  try {
    model.configureTraining(config);
    if (options.initialState) await model.setTrainingState(options.initialState);
    for (let i = 0; i < options.steps; i++) {
      if (signal?.aborted) {
        stop = { reason: 'aborted', message: `aborted before step ${firstStep + i + 1}` };
        break;
      }
      const step = firstStep + i + 1;
      const wanted = step % reportEvery === 0 ? monitors.filter((m) => m.wants?.(step) ?? true) : [];
      const result = await model.trainStep(task.trainBatch(options.batchSize, step - 1), { report: wanted.length > 0 });
      losses.push(result.loss);
      options.onProgress?.({ step: result.step, loss: result.loss, lr: result.lr, gradNorm: result.gradNorm, elapsedMs: elapsed() });
      if (result.report) {
        lastReport = result.report;
        for (const monitor of wanted) {
          const decision = monitor.onStep(result.report);
          if (decision?.stop && stop.reason === 'completed') stop = { reason: 'monitor', message: decision.reason };
        }
      }
      if (result.nonFinite) {
        finalStep = result.step - 1;
        const error = new NonFiniteLossError(result.step, result.loss, result.nonFinite);
        stop = { reason: 'nonFiniteLoss', message: `${error.message} (those of step ${finalStep})`, error };
        if (checkpointEvery && onCheckpoint) await saveCheckpoint(model, config, onCheckpoint);
        break;
      }
      finalStep = result.step;
      if (checkpointEvery && onCheckpoint && result.step % checkpointEvery === 0) await saveCheckpoint(model, config, onCheckpoint);
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

async function saveCheckpoint(model: Model, config: TrainingConfig, onCheckpoint: (checkpoint: Checkpoint) => void | Promise<void>): Promise<void> {
  const params = cloneParams(await model.getParams());
  const state = await model.getTrainingState();
  await onCheckpoint({ spec: model.spec, params, config, state: { ...state, optimizer: cloneOptimizerState(state.optimizer) } });
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
