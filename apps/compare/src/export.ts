import { join } from 'node:path';
import type { ModelBudget, ModelSpec, ParamSet } from '@gradscope/core';
import { prepareOutputDirectory, readParamsFile, writeFileAtomic } from '@gradscope/core/node';
import { createBackend, importAdapterExport } from './backends.js';
import { loadSpec } from './probe.js';

export const exportFormats = ['onnx', 'tfjs'] as const;
export type ExportTarget = (typeof exportFormats)[number];

export interface ExportCommandOptions {
  spec: string;
  weights: string;
  to: ExportTarget;
  /** Output folder (created if needed; a symbolic link is refused). */
  out: string;
  /** Model-size limits (`--max-params`, `--max-activation-bytes`); core's defaults when absent. */
  budget?: ModelBudget;
}

type Exporter = (spec: ModelSpec, params: ParamSet, out: string) => Promise<string[]>;

/** Each format is written by its adapter's own exporter, imported only when asked for. */
const exporters: Record<ExportTarget, Exporter> = {
  async onnx(spec, params, out) {
    const exportOnnx = (await importAdapterExport('onnx', '@gradscope/onnx', 'exportOnnx')) as (s: ModelSpec, p: ParamSet) => Uint8Array;
    const bytes = exportOnnx(spec, params);
    const file = join(out, 'model.onnx');
    await writeFileAtomic(file, bytes);
    return [file];
  },
  async tfjs(spec, params, out) {
    const toLayersModel = (await importAdapterExport('tfjs', '@gradscope/tfjs', 'toLayersModel')) as (s: ModelSpec, p: ParamSet) => { dispose(): void };
    const saveLayersModel = (await importAdapterExport('tfjs', '@gradscope/tfjs', 'saveLayersModel')) as (
      m: unknown,
      dir: string,
    ) => Promise<{ modelJson: string; weights: string }>;
    // creating the backend initializes the tfjs runtime (wasm in Node) that the layers model runs on
    const backend = await createBackend('tfjs');
    try {
      const model = toLayersModel(spec, params);
      try {
        const files = await saveLayersModel(model, out);
        return [files.modelJson, files.weights];
      } finally {
        model.dispose();
      }
    } finally {
      await backend.dispose();
    }
  },
};

/** `gradscope export`: a spec with its weights as a deployable ONNX model or TensorFlow.js LayersModel. */
export async function exportModel(o: ExportCommandOptions): Promise<string[]> {
  // the output folder first: a bad target fails at once, before the inputs are read and the runtime starts
  await prepareOutputDirectory(o.out);
  const spec = await loadSpec(o.spec, o.budget);
  const params = await readParamsFile(o.weights, spec);
  return exporters[o.to](spec, params, o.out);
}
