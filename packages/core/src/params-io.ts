import { WeightsFormatError } from './errors.js';
import { validateParams, type ParamSet } from './params.js';
import { parseParamsJson, serializeParamsJson } from './params-json.js';
import { readSafetensorsParams, serializeSafetensors } from './safetensors.js';
import type { ModelSpec } from './spec.js';

export const paramsFormats = ['json', 'safetensors'] as const;
/** `json`: `{ "name": { "shape", "data" } }`; `safetensors`: what `safetensors.torch.save_file(model.state_dict())` writes. */
export type ParamsFormat = (typeof paramsFormats)[number];

export interface LoadParamsOptions {
  readonly format: ParamsFormat;
  /** Where the bytes came from (a file path, say); every error message starts with it. */
  readonly source?: string;
}

function checkFormat(format: unknown): asserts format is ParamsFormat {
  if (!(paramsFormats as readonly unknown[]).includes(format)) {
    throw new WeightsFormatError(`unknown weights format ${JSON.stringify(format)} (expected one of ${paramsFormats.join('|')})`);
  }
}

/**
 * Reads parameters in either format and checks them against the spec: the result is float32, in `state_dict` order.
 * A malformed file is a `WeightsFormatError`; a well-formed file that does not fit the spec is one `ParamError`
 * listing every missing, unexpected and wrongly-shaped tensor. Integer buffers (`*.num_batches_tracked`) are skipped.
 */
export function loadParams(spec: ModelSpec, data: Uint8Array | string, options: LoadParamsOptions): ParamSet {
  const { format } = options;
  checkFormat(format);
  const source = options.source ?? `${format} parameters`;
  let params: ParamSet;
  if (format === 'json') {
    let text: string;
    if (typeof data === 'string') text = data;
    else {
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(data);
      } catch {
        throw new WeightsFormatError(`${source}: not valid UTF-8 text, so not a JSON weights file`);
      }
    }
    params = parseParamsJson(text, source);
  } else {
    if (typeof data === 'string') throw new WeightsFormatError(`${source}: safetensors data must be bytes (Uint8Array), got a string`);
    params = readSafetensorsParams(data, source).params;
  }
  return validateParams(spec, params, `parameters in ${source}`);
}

/** Writes parameters in the set's order: JSON text, or safetensors bytes (F32). */
export function saveParams(params: ParamSet, format: 'json'): string;
export function saveParams(params: ParamSet, format: 'safetensors'): Uint8Array;
export function saveParams(params: ParamSet, format: ParamsFormat): string | Uint8Array;
export function saveParams(params: ParamSet, format: ParamsFormat): string | Uint8Array {
  checkFormat(format);
  return format === 'json' ? serializeParamsJson(params) : serializeSafetensors(params);
}
