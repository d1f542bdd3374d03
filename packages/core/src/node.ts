// Node-only helpers (files on disk). Browser code imports `@gradscope/core` alone.
import { closeSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Checkpoint } from './checkpoint.js';
import { parseCheckpoint, serializeCheckpoint } from './checkpoint-io.js';
import { DisposedError, WeightsFormatError } from './errors.js';
import { describeFileError, errnoCode, FileError } from './file-error.js';
import { reportToJsonLine } from './monitor/jsonl.js';
import { selectParams, type GradientMonitor, type ParamSelector } from './monitor/monitor.js';
import type { ParamSet } from './params.js';
import { openOutputStream, writeFileAtomic } from './output-files.js';
import { loadParams, saveParams, type ParamsFormat } from './params-io.js';
import type { ModelSpec } from './spec.js';

export { describeFileError, errnoCode, FileError } from './file-error.js';
export { checkOutputFile, ensureDirectory, openOutputStream, prepareOutputDirectory, writeFileAtomic, writeFilesAtomic, type OutputFile } from './output-files.js';

async function readBytes(path: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') throw new FileError('FILE_NOT_FOUND', path, `${what} not found: ${path}`);
    throw new FileError('FILE_IO', path, `cannot read ${what} ${path}: ${describeFileError(e)}`);
  }
}

/** The weights format a path names by its extension (`.json`, `.safetensors`, any case). */
export function paramsFormatOf(path: string): ParamsFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.safetensors') return 'safetensors';
  throw new WeightsFormatError(`cannot tell the weights format of ${path}: expected a .json or .safetensors file, got ${ext ? `"${ext}"` : 'no extension'}`);
}

/**
 * Reads a `.json` or `.safetensors` weights file and checks it against the spec (see `loadParams`).
 * Every error message names the file; a missing file is `FileError` `weights file not found: <path>`.
 */
export async function readParamsFile(path: string, spec: ModelSpec): Promise<ParamSet> {
  const format = paramsFormatOf(path);
  const bytes = await readBytes(path, 'weights file');
  return loadParams(spec, bytes, { format, source: path });
}

/** Writes parameters to a `.json` or `.safetensors` file (by extension), atomically. */
export async function writeParamsFile(path: string, params: ParamSet): Promise<void> {
  await writeFileAtomic(path, saveParams(params, paramsFormatOf(path)));
}

/** Reads a checkpoint written by `writeCheckpointFile` (see `parseCheckpoint`). */
export async function readCheckpointFile(path: string): Promise<Checkpoint> {
  return parseCheckpoint(await readBytes(path, 'checkpoint file'), path);
}

/** Writes a checkpoint (one safetensors file), atomically: a crash mid-write keeps the previous checkpoint. */
export async function writeCheckpointFile(path: string, checkpoint: Checkpoint): Promise<void> {
  await writeFileAtomic(path, serializeCheckpoint(checkpoint));
}

export interface JsonlSinkOptions {
  /** Append to an existing file (e.g. when resuming) instead of starting a new one. */
  readonly append?: boolean;
  /** Write per-parameter stats only for these parameters (names or a RegExp). */
  readonly select?: ParamSelector;
}

export interface JsonlSink extends GradientMonitor {
  readonly path: string;
  onEnd(): void;
}

/**
 * A monitor that writes each report as one JSON object per line (`reportToJsonLine`: non-finite numbers as strings),
 * as it arrives, so a crash loses nothing already seen. The file is closed by `onEnd`, which `train()` calls.
 * A file that cannot be opened, a symbolic link or a non-regular file is a `FileError` naming it (`openOutputStream`).
 */
export function createJsonlSink(path: string, options: JsonlSinkOptions = {}): JsonlSink {
  let fd: number | undefined = openOutputStream(path, options.append === true);
  return {
    path,
    onStep(report) {
      if (fd === undefined) throw new DisposedError(`JSON-lines sink ${path} (closed by onEnd)`);
      writeSync(fd, `${reportToJsonLine(selectParams(report, options.select))}\n`);
    },
    onEnd() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}

/**
 * An `onCheckpoint` for `train()` that writes each checkpoint with `writeCheckpointFile`. `{step}` in the path
 * becomes the step (`run/ckpt-{step}.safetensors`); without it, each checkpoint replaces the previous one.
 */
export function checkpointWriter(pathPattern: string): (checkpoint: Checkpoint) => Promise<void> {
  return (checkpoint) => writeCheckpointFile(pathPattern.replaceAll('{step}', String(checkpoint.state.step)), checkpoint);
}
