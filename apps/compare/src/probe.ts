import { checkModelBudget, initParams, isConvResidual, parseModelSpec, SpecError, type BatchNormMode, type Backend, type GradientResult, type LossName, type ModelBudget, type ModelSpec, type ParamSet } from '@gradscope/core';
import { createBackend } from './backends.js';
import { readParamsFile } from '@gradscope/core/node';
import { paramsToJson, readJsonFile, readTensorFile, tensorToJson, type TensorJson } from './io.js';

export interface ProbeOptions {
  backend: string;
  /** Path of the spec JSON. */
  spec: string;
  /** Path of a `.json` or `.safetensors` weights file; `initParams(spec, { seed: 0 })` when absent. */
  weights?: string;
  input: string;
  target: string;
  loss?: LossName;
  /** Model-size limits (`--max-params`, `--max-activation-bytes`); core's defaults when absent. */
  budget?: ModelBudget;
  /** BatchNorm as torch's `module.train()` (batch statistics, the default) or `module.eval()` (running statistics). */
  batchNorm?: BatchNormMode;
}

/** DESIGN.md's `gradscope probe` object. Recurrent grids are `[numLayers][T]`; the per-timestep rows are the top layer's. */
export interface ProbeResult {
  output: TensorJson;
  loss: number;
  grads: Record<string, TensorJson>;
  blockOutputGradNorms?: number[];
  deadUnitFractions?: number[];
  hiddenGradNormsPerTimestep?: number[];
  hiddenGradNorms?: number[][];
  cellGradNormsPerTimestep?: number[];
  cellGradNorms?: number[][];
  inputGradNormsPerTimestep?: number[];
  backend: string;
}

/**
 * A spec file: dense or conv residual (presets such as `{ "kind": "residual", "variant": "conv", "preset": "resnet20" }`
 * included) or recurrent. A bad one, or one over the model-size `budget`, is a `SpecError` naming the file and each
 * JSON path.
 */
export async function loadSpec(path: string, budget: ModelBudget = {}): Promise<ModelSpec> {
  const json = await readJsonFile(path, 'spec file');
  try {
    return parseModelSpec(json, budget);
  } catch (err) {
    throw err instanceof SpecError ? new SpecError(err.issues, `spec "${path}"`) : err;
  }
}

/** Weights from a `.json` or `.safetensors` file (validated against the spec), or `initParams(spec, { seed: 0 })`. */
export async function loadParams(spec: ModelSpec, weightsPath: string | undefined): Promise<ParamSet> {
  if (weightsPath === undefined) return initParams(spec, { seed: 0 });
  return readParamsFile(weightsPath, spec);
}

function topRow(grid: number[][]): number[] {
  return grid[grid.length - 1] ?? [];
}

/** Arranges a gradient result in DESIGN.md's probe order, leaving out fields the backend does not report. */
export function toProbeResult(r: GradientResult, backend: string): ProbeResult {
  return {
    output: tensorToJson(r.output),
    loss: r.loss,
    grads: paramsToJson(r.grads),
    ...(r.blockOutputGradNorms && { blockOutputGradNorms: r.blockOutputGradNorms }),
    ...(r.deadUnitFractions && { deadUnitFractions: r.deadUnitFractions }),
    ...(r.hiddenGradNorms && { hiddenGradNormsPerTimestep: topRow(r.hiddenGradNorms), hiddenGradNorms: r.hiddenGradNorms }),
    ...(r.cellGradNorms && { cellGradNormsPerTimestep: topRow(r.cellGradNorms), cellGradNorms: r.cellGradNorms }),
    ...(r.inputGradNorms && { inputGradNormsPerTimestep: r.inputGradNorms }),
    backend,
  };
}

/** The gradient of one batch on one backend (what `gradscope probe` prints). */
export async function probe(options: ProbeOptions): Promise<ProbeResult> {
  const spec = await loadSpec(options.spec, options.budget);
  const input = await readTensorFile(options.input, 'input');
  const target = await readTensorFile(options.target, 'target');
  // now that batch (and T) are known: the activations of this very batch
  checkModelBudget(spec, options.budget, { batch: input.shape[0] ?? 1, timesteps: input.shape[1] ?? 1 }, `spec "${options.spec}"`);
  if (options.batchNorm !== undefined && !(isConvResidual(spec) && spec.norm === 'batch')) {
    throw new SpecError([{ path: 'norm', message: `--batch-norm ${options.batchNorm} needs a conv spec with BatchNorm ("norm": "batch")` }], `spec "${options.spec}"`);
  }
  const params = await loadParams(spec, options.weights);
  const backend: Backend = await createBackend(options.backend);
  try {
    const model = await backend.createModel(spec, params);
    try {
      if (options.batchNorm !== undefined) model.setBatchNormMode!(options.batchNorm);
      const result = await model.computeGradients({ input, target }, options.loss ?? 'mse');
      return toProbeResult(result, backend.name);
    } finally {
      await model.dispose();
    }
  } finally {
    await backend.dispose();
  }
}
