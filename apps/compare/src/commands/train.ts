import { InvalidArgumentError, Option, type Command } from 'commander';
import { optimizerNames, type ClipSpec, type OptimizerName, type TrainingConfigInput } from '@gradscope/core';
import { backendNames } from '../backends.js';
import { InterruptedError, signalExitCode, UsageError, type StopSignal } from '../cli-errors.js';
import { writeAll, type CliIO } from '../output.js';
import { runTrainCommand } from '../train/run-train.js';
import { addBudgetOptions, budgetOf, type BudgetFlags } from './budget-options.js';

interface TrainFlags extends BudgetFlags {
  spec?: string;
  task: string;
  backend: string;
  steps: number;
  batch: number;
  optimizer: OptimizerName;
  lr: number;
  momentum?: number;
  weightDecay?: number;
  clip?: ClipSpec;
  seed: number;
  weights?: string;
  save: string;
  monitor?: string;
  reportEvery?: number;
  checkpoint?: string;
  checkpointEvery?: number;
  resume?: string;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer.');
  return n;
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer.');
  return n;
}

function nonNegative(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number >= 0.');
  return n;
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number > 0.');
  return n;
}

/** `1.0` or `norm:1.0` clips the total norm (clip_grad_norm_); `value:0.5` clips each element (clip_grad_value_). */
export function parseClip(value: string): ClipSpec {
  const [mode, raw] = value.includes(':') ? value.split(':', 2) : ['norm', value];
  const n = positive(raw ?? '');
  if (mode === 'norm') return { type: 'norm', maxNorm: n };
  if (mode === 'value') return { type: 'value', clipValue: n };
  throw new InvalidArgumentError('expected <maxNorm>, norm:<maxNorm> or value:<clipValue>.');
}

const OPTIMIZER_FLAGS = ['optimizer', 'lr', 'momentum', 'weightDecay', 'clip'] as const;

export function registerTrain(program: Command, io: CliIO): void {
  const command = program
    .command('train')
    .description('train one model on a task, printing a per-block / per-timestep gradient sparkline, the loss and gradient warnings; save the weights')
    .option('--spec <file>', 'network spec (JSON: dense or conv residual, e.g. {"kind":"residual","variant":"conv","preset":"resnet20"}, or recurrent); not needed with --resume')
    .requiredOption('--task <name>', 'adding:T=<n> (sequence regression), spirals[:turns=<x>,noise=<x>] (dense classification) or mnist[:size=28|14] (digit images [N, 1, H, W], for conv specs)')
    .addOption(new Option('--backend <name>', 'backend to train on').choices(backendNames).makeOptionMandatory())
    .option('--steps <n>', 'optimizer steps to run', positiveInt, 500)
    .option('--batch <n>', 'batch size', positiveInt, 32)
    .addOption(new Option('--optimizer <name>', 'optimizer (torch.optim semantics)').choices(optimizerNames).default('adam'))
    .option('--lr <x>', 'learning rate', positive, 1e-3)
    .option('--momentum <x>', 'SGD momentum', nonNegative)
    .option('--weight-decay <x>', 'weight decay (Adam/SGD: L2 in the gradient; AdamW: decoupled)', nonNegative)
    .option('--clip <spec>', 'gradient clipping: <maxNorm>, norm:<maxNorm> or value:<clipValue>', parseClip)
    .option('--seed <n>', 'seed of the initial weights and of the task data', nonNegativeInt, 0)
    .option('--weights <file>', 'initial weights (.json or .safetensors); default initParams(spec, { seed })')
    .option('--save <file>', 'where the trained weights go (.safetensors or .json)', 'trained.safetensors')
    .option('--monitor <sink>', 'also write every monitored gradient report: jsonl:<path>')
    .option('--report-every <n>', 'print a summary line (and monitor) every n steps (default: about 20 lines per run)', positiveInt)
    .option('--checkpoint <file>', 'write a checkpoint (weights + optimizer state) here at the end; {step} in the name is replaced by the step')
    .option('--checkpoint-every <n>', 'also write the checkpoint every n steps', positiveInt)
    .option('--resume <file>', 'continue from a checkpoint (its spec, weights, optimizer and step)');
  addBudgetOptions(command).addHelpText(
      'after',
      '\nExamples:\n  gradscope train --spec apps/compare/examples/lstm.json --task adding:T=50 --backend onnx --steps 300 --lr 1e-2 --clip 1' +
        '\n  gradscope train --spec apps/compare/examples/resnet-mnist14.json --task mnist:size=14 --backend tfjs --steps 100 --optimizer sgd --lr 0.05 --momentum 0.9',
    );
  command.action(async (flags: TrainFlags) => {
    if (flags.resume) {
      const given = OPTIMIZER_FLAGS.filter((f) => command.getOptionValueSource(f) === 'cli');
      if (given.length > 0) throw new UsageError(`--resume continues with the checkpoint's optimizer; drop ${given.map((f) => `--${f.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')}`);
    }
    const optimizer = { type: flags.optimizer, lr: flags.lr, ...(flags.momentum !== undefined && { momentum: flags.momentum }), ...(flags.weightDecay !== undefined && { weightDecay: flags.weightDecay }) };
    if (flags.momentum !== undefined && flags.optimizer !== 'sgd') throw new UsageError('--momentum applies to --optimizer sgd only');
    const config = { optimizer, ...(flags.clip && { clip: flags.clip }) } as TrainingConfigInput;
    // SIGINT (Ctrl-C) and SIGTERM stop after the current step; the weights and checkpoint are saved, then the exit
    // code says which signal it was. A second signal exits at once: the atomic writer keeps any old file whole.
    const controller = new AbortController();
    let received: StopSignal | undefined;
    const onSignal = (signal: StopSignal): void => {
      if (received) process.exit(signalExitCode(signal));
      received = signal;
      io.stderr.write(`${signal}: stopping after the current step, then saving (send it again to quit without saving)\n`);
      controller.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      const result = await runTrainCommand({
        backend: flags.backend,
        task: flags.task,
        steps: flags.steps,
        batch: flags.batch,
        seed: flags.seed,
        config,
        save: flags.save,
        reportEvery: flags.reportEvery ?? Math.max(1, Math.round(flags.steps / 20)),
        budget: budgetOf(flags),
        signal: controller.signal,
        print: (line) => io.stdout.write(`${line}\n`),
        ...(flags.spec && { spec: flags.spec }),
        ...(flags.weights && { weights: flags.weights }),
        ...(flags.monitor && { monitor: flags.monitor }),
        ...(flags.checkpoint && { checkpoint: flags.checkpoint }),
        ...(flags.checkpointEvery && { checkpointEvery: flags.checkpointEvery }),
        ...(flags.resume && { resume: flags.resume }),
      });
      await writeAll(io.stdout, '');
      if (received) {
        const saved = [`weights in ${result.saved}`, ...(flags.checkpoint ? [`checkpoint in ${flags.checkpoint}`] : [])].join(' and ');
        throw new InterruptedError(received, `interrupted by ${received} after step ${result.finalStep}; saved the ${saved}`);
      }
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  });
}
