// Node-only helpers (files on disk). Browser code imports `@gradscope/core` alone.
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { Checkpoint } from './checkpoint.js';
import { parseCheckpoint, serializeCheckpoint } from './checkpoint-io.js';
import { DisposedError, GradscopeError, WeightsFormatError } from './errors.js';
import { reportToJsonLine } from './monitor/jsonl.js';
import { selectParams, type GradientMonitor, type ParamSelector } from './monitor/monitor.js';
import type { ParamSet } from './params.js';
import { loadParams, saveParams, type ParamsFormat } from './params-io.js';
import type { ModelSpec } from './spec.js';

/** A file could not be read or written. `code` is `FILE_NOT_FOUND` or `FILE_IO`; `path` is the file. */
export class FileError extends GradscopeError {
  readonly path: string;
  constructor(code: 'FILE_NOT_FOUND' | 'FILE_IO', path: string, message: string) {
    super(code, message);
    this.path = path;
  }
}

function errnoCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function readBytes(path: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') throw new FileError('FILE_NOT_FOUND', path, `${what} not found: ${path}`);
    throw new FileError('FILE_IO', path, `cannot read ${what} ${path}: ${reason(e)}`);
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

/**
 * Replaces `path` with `data` all at once: writes a temporary file in the same folder, flushes it to disk, then
 * renames it over `path`. Readers see the old file or the new one, never a partial file; a failed or interrupted
 * write leaves the old file as it was (and removes the temporary file when it can). A replaced file keeps its
 * permission bits.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const mode = await stat(path).then((s) => s.mode & 0o777, () => 0o666);
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(tmp, 'wx', mode);
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(tmp, path);
  } catch (e) {
    await handle?.close().catch(() => undefined);
    await rm(tmp, { force: true }).catch(() => undefined);
    throw new FileError('FILE_IO', path, `cannot write ${path}: ${reason(e)}`);
  }
  await syncDirectory(dir);
}

/** Makes the rename itself durable. Not every platform can open a folder (Windows cannot): best effort. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // The data is already safely in place; only the durability of the rename across a power loss is at stake.
  }
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
 * A file that cannot be opened is a `FileError` naming it.
 */
export function createJsonlSink(path: string, options: JsonlSinkOptions = {}): JsonlSink {
  let fd: number | undefined;
  try {
    fd = openSync(path, options.append ? 'a' : 'w');
  } catch (e) {
    throw new FileError('FILE_IO', path, `cannot open JSON-lines file ${path}: ${reason(e)}`);
  }
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
