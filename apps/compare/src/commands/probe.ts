import { Option, type Command } from 'commander';
import { batchNormModes, lossNames, type BatchNormMode, type LossName } from '@gradscope/core';
import { backendNames } from '../backends.js';
import { stringifyJson } from '../io.js';
import { writeAll, type CliIO } from '../output.js';
import { probe } from '../probe.js';
import { addBudgetOptions, budgetOf, type BudgetFlags } from './budget-options.js';

interface ProbeFlags extends BudgetFlags {
  backend: string;
  spec: string;
  weights?: string;
  input: string;
  target: string;
  loss: LossName;
  batchNorm?: BatchNormMode;
}

export function registerProbe(program: Command, io: CliIO): void {
  const command = program
    .command('probe')
    .description('print the output, loss, every parameter gradient and the gradient norms of one batch, as one JSON object')
    .addOption(new Option('--backend <name>', 'backend to run').choices(backendNames).makeOptionMandatory())
    .requiredOption('--spec <file>', 'network spec (JSON): dense or conv residual (presets such as resnet20 too), or recurrent')
    .option('--weights <file>', 'weights (.json or .safetensors, PyTorch names); default: initParams(spec, { seed: 0 })')
    .requiredOption('--input <file>', 'input tensor JSON: { "shape": [...], "data": [...] } or nested arrays')
    .requiredOption('--target <file>', 'target tensor JSON ([batch, outputSize] for mse, [batch] class labels for crossEntropy)')
    .addOption(new Option('--loss <name>', 'loss').choices(lossNames).default('mse'))
    .addOption(new Option('--batch-norm <mode>', "conv nets with BatchNorm: train (batch statistics, torch's module.train(), the default) or eval (running statistics)").choices(batchNormModes));
  addBudgetOptions(command)
    .addHelpText(
      'after',
      '\nExample:\n  gradscope probe --backend reference --spec examples/residual-sigmoid.json \\\n' +
        '    --input examples/residual-input.json --target examples/residual-target.json',
    )
    .action(async (flags: ProbeFlags) => {
      const result = await probe({ ...flags, budget: budgetOf(flags) });
      await writeAll(io.stdout, `${stringifyJson(result)}\n`);
    });
}
