import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_MAX_ACTIVATION_BYTES, DEFAULT_MAX_LAYERS, DEFAULT_MAX_PARAMETERS, type ModelBudget } from '@gradscope/core';

export interface BudgetFlags {
  maxParams?: number;
  maxActivationBytes?: number;
  maxLayers?: number;
}

/** A positive whole number, `5e7` notation included, or `Infinity` to turn the limit off. */
function limit(value: string): number {
  const n = Number(value);
  if (n === Infinity || (Number.isSafeInteger(n) && n >= 1)) return n;
  throw new InvalidArgumentError('expected a positive integer (5e7 notation is fine) or Infinity.');
}

/** The model-size budget flags every command that reads a spec file takes (core's `ModelBudget`). */
export function addBudgetOptions(command: Command): Command {
  return command
    .option('--max-params <n>', `refuse specs with more trainable parameters than this (default ${DEFAULT_MAX_PARAMETERS.toExponential()}; Infinity: no limit)`, limit)
    .option('--max-activation-bytes <n>', `refuse specs whose activations for the backward pass need more bytes than this (default ${DEFAULT_MAX_ACTIVATION_BYTES}, 2 GiB; Infinity: no limit)`, limit)
    .option('--max-layers <n>', `refuse specs with more layers in sequence than this (default ${DEFAULT_MAX_LAYERS}; Infinity: no limit)`, limit);
}

export function budgetOf(flags: BudgetFlags): ModelBudget {
  return {
    ...(flags.maxParams !== undefined && { maxParameters: flags.maxParams }),
    ...(flags.maxActivationBytes !== undefined && { maxActivationBytes: flags.maxActivationBytes }),
    ...(flags.maxLayers !== undefined && { maxLayers: flags.maxLayers }),
  };
}
