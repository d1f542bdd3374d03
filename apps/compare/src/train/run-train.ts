import { basename } from 'node:path';
import {
  checkModelBudget,
  computeLoss,
  describeSpec,
  GradscopeError,
  createGradientDetector,
  createTask,
  every,
  initParams,
  parseTaskName,
  parseTrainingConfig,
  SpecError,
  taskInputIssues,
  type Checkpoint,
  type GradientWarning,
  type Model,
  type ModelBudget,
  type ModelSpec,
  type ParamSet,
  type TrainingConfig,
  type TrainingConfigInput,
  type TrainingState,
  train,
  type Task,
  type Tensor,
} from '@gradscope/core';
import { checkOutputFile, checkpointWriter, createJsonlSink, paramsFormatOf, readCheckpointFile, readParamsFile, writeParamsFile } from '@gradscope/core/node';
import { createBackend } from '../backends.js';
import { UsageError } from '../cli-errors.js';
import { createMnistTask } from '../compare/mnist.js';
import { loadSpec } from '../probe.js';
import { createSummaryMonitor } from './summary.js';

export interface TrainCommandOptions {
  backend: string;
  /** Spec file; with `resume` the checkpoint's spec is used and this may be left out. */
  spec?: string;
  /** `adding:T=100`, `spirals`, ... (core's `parseTaskName`), or `mnist[:size=14|28]` (real digits, images). */
  task: string;
  steps: number;
  batch: number;
  seed: number;
  /** Optimizer, schedule and clipping (ignored when resuming: the checkpoint's config continues). */
  config: TrainingConfigInput;
  /** Initial weights; default `initParams(spec, { seed })`. */
  weights?: string;
  /** Where the trained weights go (`.safetensors` or `.json`). */
  save: string;
  /** `jsonl:path` writes every monitored report as a JSON line. */
  monitor?: string;
  reportEvery: number;
  checkpoint?: string;
  checkpointEvery?: number;
  resume?: string;
  /** Model-size limits (`--max-params`, `--max-activation-bytes`); core's defaults when absent. */
  budget?: ModelBudget;
  /** Aborting stops after the current step; weights and checkpoint are still saved. */
  signal?: AbortSignal;
  print: (line: string) => void;
}

export interface TrainCommandResult {
  finalStep: number;
  stopReason: string;
  /** Loss on the task's held-out set after training (MSE or cross-entropy). */
  testLoss: number;
  /** Classification tasks: fraction of the held-out set classified right. */
  testAccuracy?: number;
  warnings: readonly GradientWarning[];
  saved: string;
}

function monitorPath(monitor: string): string {
  const [kind, ...rest] = monitor.split(':');
  const path = rest.join(':');
  if (kind !== 'jsonl' || !path) throw new UsageError(`--monitor: expected jsonl:<path>, got "${monitor}"`);
  return path;
}

/**
 * Every path the run will write, checked before any work: a trained model must not be lost at the end to a missing
 * folder, a read-only mount, a planted symbolic link or a weights extension that cannot be written.
 */
async function checkOutputs(o: TrainCommandOptions): Promise<void> {
  const outputs: [string, string][] = [['--save', o.save]];
  if (o.checkpoint) outputs.push(['--checkpoint', o.checkpoint.replaceAll('{step}', '0')]);
  if (o.monitor) outputs.push(['--monitor', monitorPath(o.monitor)]);
  for (const [flag, path] of outputs) {
    try {
      if (flag === '--save') paramsFormatOf(path);
      await checkOutputFile(path);
    } catch (e) {
      throw e instanceof GradscopeError ? new UsageError(`${flag}: ${e.message}`) : e;
    }
  }
}

const MNIST_SIZES = { 28: 1, 14: 2 } as const;

/**
 * `mnist` (28×28) or `mnist:size=14` (2×2 average-pooled): the MNIST digits of the `mnist` package as an image task
 * `[N, 1, H, W]`, seeded split. Anything else is one of core's tasks.
 */
export function createCliTask(name: string, seed: number): Task {
  const [kind, options] = name.trim().split(/:(.*)/s, 2) as [string, string | undefined];
  if (kind !== 'mnist') return createTask(parseTaskName(name), seed);
  const size = options === undefined ? '28' : /^size=(\d+)$/.exec(options.trim())?.[1];
  if (size !== '28' && size !== '14') {
    throw new SpecError([{ path: 'mnist', message: `expected mnist, mnist:size=28 or mnist:size=14, got ${JSON.stringify(name)}` }], 'task name');
  }
  return createMnistTask({ seed, downsample: MNIST_SIZES[size] });
}

/** A task whose examples or classes do not fit the spec is a usage error (exit 2) naming both sides. */
function checkTaskFits(task: Task, spec: ModelSpec): void {
  const issues = taskInputIssues(spec, task).map((i) => i.message);
  if (spec.outputSize !== task.outputSize) issues.push(`${task.name} has ${task.outputSize} outputs, the model's spec ${spec.outputSize}`);
  if (issues.length) throw new UsageError(`--task ${task.name} does not fit the spec (${describeSpec(spec)}): ${issues.join('; ')}`);
}

interface Start {
  spec: ModelSpec;
  params: ParamSet;
  config: TrainingConfig;
  state?: TrainingState;
}

async function startingPoint(o: TrainCommandOptions, task: Task): Promise<Start> {
  if (o.resume) {
    const cp: Checkpoint = await readCheckpointFile(o.resume);
    if (o.spec) {
      const spec = await loadSpec(o.spec, o.budget);
      if (JSON.stringify(spec) !== JSON.stringify(cp.spec)) {
        throw new SpecError([{ path: '', message: `differs from the spec stored in checkpoint "${o.resume}"` }], `spec "${o.spec}"`);
      }
    }
    return { spec: cp.spec, params: cp.params, config: cp.config, state: cp.state };
  }
  if (!o.spec) throw new UsageError('--spec is required (unless --resume gives a checkpoint)');
  const spec = await loadSpec(o.spec, o.budget);
  const params = o.weights ? await readParamsFile(o.weights, spec) : initParams(spec, { seed: o.seed });
  return { spec, params, config: parseTrainingConfig({ ...o.config, loss: task.loss }) };
}

const YIELD_EVERY_MS = 50;

/**
 * The model with a turn of the event loop before a step whenever 50 ms have passed: a backend that computes
 * synchronously (the reference) gives `train()` only resolved promises, so a SIGINT or SIGTERM handler would wait for
 * the whole run instead of stopping it after the current step.
 */
function yieldingBetweenSteps(model: Model): Model {
  let last = performance.now();
  const trainStep: Model['trainStep'] = async (...args) => {
    if (performance.now() - last > YIELD_EVERY_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      last = performance.now();
    }
    return model.trainStep(...args);
  };
  return new Proxy(model, {
    get(target, prop) {
      if (prop === 'trainStep') return trainStep;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Loss (core's `computeLoss`) and, for classification, accuracy of the model's output on a held-out batch. */
function score(output: Tensor, target: Float32Array, task: Task): { loss: number; accuracy?: number } {
  const batch = output.shape[0]!;
  const { loss } = computeLoss(task.loss, output.data, target, batch);
  if (task.loss === 'mse') return { loss };
  const classes = output.data.length / batch;
  let right = 0;
  for (let b = 0; b < batch; b++) {
    const row = Array.from(output.data.subarray(b * classes, (b + 1) * classes));
    if (row.indexOf(Math.max(...row)) === target[b]) right++;
  }
  return { loss, accuracy: right / batch };
}

/**
 * `gradscope train`: trains one model with core's `train()` on any backend, printing a summary line per monitored
 * step and the detector's warnings, then saves the weights (and a checkpoint when asked). Every output path is checked
 * first. When the loss becomes non-finite, the last good weights are saved and the `NonFiniteLossError` is thrown.
 */
export async function runTrainCommand(o: TrainCommandOptions): Promise<TrainCommandResult> {
  await checkOutputs(o);
  const task = createCliTask(o.task, o.seed);
  const start = await startingPoint(o, task);
  checkTaskFits(task, start.spec);
  // the parse-time check assumed one example; now batch and T are known (a checkpoint's spec is checked here too)
  checkModelBudget(start.spec, o.budget, { batch: o.batch, ...(task.sequenceLength !== undefined && { timesteps: task.sequenceLength }) }, `spec "${o.spec ?? o.resume}"`);
  const backend = await createBackend(o.backend);
  try {
    const model = yieldingBetweenSteps(await backend.createModel(start.spec, start.params));
    try {
      const firstStep = start.state?.step ?? 0;
      const lastStep = firstStep + o.steps;
      const warned = new Set<string>();
      const detector = createGradientDetector({
        onWarning: (w) => {
          // one live line per kind of warning and place type; the full count comes at the end
          const key = `${w.kind}/${w.where.type}`;
          if (!warned.has(key)) o.print(`warning: ${w.message}`);
          warned.add(key);
        },
      });
      const monitors = [every(o.reportEvery, createSummaryMonitor(lastStep, o.print)), every(o.reportEvery, detector)];
      if (o.monitor) monitors.push(every(o.reportEvery, createJsonlSink(monitorPath(o.monitor), { append: start.state !== undefined })));
      o.print(`training ${basename(o.spec ?? o.resume ?? '')} on ${backend.name} (${backend.runtime.name} ${backend.runtime.version}), ${task.name}, steps ${firstStep + 1}..${lastStep}, batch ${o.batch}`);
      const result = await train({
        model,
        task,
        steps: o.steps,
        batchSize: o.batch,
        config: start.config,
        monitors,
        reportEvery: 1,
        ...(start.state && { initialState: start.state }),
        ...(o.checkpoint && o.checkpointEvery && { checkpointEvery: o.checkpointEvery, onCheckpoint: checkpointWriter(o.checkpoint) }),
        ...(o.signal && { signal: o.signal }),
      });
      if (result.stopReason !== 'completed') o.print(`stopped: ${result.message ?? result.stopReason}`);
      const params = await model.getParams();
      await writeParamsFile(o.save, params);
      if (o.checkpoint) {
        await checkpointWriter(o.checkpoint)({ spec: start.spec, params, config: start.config, state: await model.getTrainingState() });
      }
      const test = task.testSet(1000);
      model.setBatchNormMode?.('eval'); // a trained torch model is evaluated with its running statistics
      const scored = score(await model.forward(test.input), test.target.data, task);
      const counts = new Map<string, number>();
      for (const w of detector.warnings) counts.set(w.kind, (counts.get(w.kind) ?? 0) + 1);
      o.print(
        [
          `done at step ${result.finalStep}: test ${task.loss} ${scored.loss.toPrecision(4)}` +
            (scored.accuracy !== undefined ? `, accuracy ${(scored.accuracy * 100).toFixed(1)}%` : '') +
            (task.name.startsWith('adding') ? ' (baseline 0.1667: always predicting 1.0)' : ''),
          counts.size > 0 ? `detector: ${[...counts].map(([k, n]) => `${n} ${k}`).join(', ')} warning(s) over the monitored steps` : 'detector: no warnings',
          `weights: ${o.save}${o.checkpoint ? `\ncheckpoint: ${o.checkpoint}` : ''}`,
        ].join('\n'),
      );
      // the last good weights are saved; the run still failed
      if (result.error) throw result.error;
      return {
        finalStep: result.finalStep,
        stopReason: result.stopReason,
        testLoss: scored.loss,
        ...(scored.accuracy !== undefined && { testAccuracy: scored.accuracy }),
        warnings: detector.warnings,
        saved: o.save,
      };
    } finally {
      await model.dispose();
    }
  } finally {
    await backend.dispose();
  }
}
