// The one way gradscope writes files (Node only): whole files atomically, streams line by line, never through a
// symbolic link, and output folders created one level at a time.
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, lstatSync, openSync, type Stats } from 'node:fs';
import { lstat, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { describeFileError, errnoCode, FileError } from './file-error.js';

function kindOf(s: Stats): string {
  if (s.isFile()) return 'a regular file';
  if (s.isDirectory()) return 'a folder';
  if (s.isSymbolicLink()) return 'a symbolic link';
  if (s.isFIFO()) return 'a named pipe';
  if (s.isSocket()) return 'a socket';
  return 'a device';
}

/**
 * The permission bits of the regular file at `path` (undefined when there is none). A symbolic link is refused:
 * writing through it would replace a file the user never named (a planted `model.json -> ~/.bashrc`).
 */
function existingFileMode(path: string, s: Stats | undefined): number | undefined {
  if (s === undefined) return undefined;
  if (s.isSymbolicLink()) throw new FileError('FILE_IO', path, `refusing to write ${path}: it is a symbolic link (give the path of the file itself)`);
  if (!s.isFile()) throw new FileError('FILE_IO', path, `refusing to write ${path}: it is ${kindOf(s)}, not a regular file`);
  return s.mode & 0o777;
}

/** `missing` lists the error codes that mean "nothing there" (ENOTDIR too while walking up to a file in the way). */
async function lstatOrNone(path: string, missing: readonly string[] = ['ENOENT']): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (e) {
    if (missing.includes(errnoCode(e) ?? '')) return undefined;
    throw new FileError('FILE_IO', path, `cannot inspect ${path}: ${describeFileError(e)}`);
  }
}

export interface OutputFile {
  readonly path: string;
  readonly data: Uint8Array | string;
}

/**
 * Writes files so that a reader sees each old file or its new version, never a partial one: every file is written to a
 * temporary file beside it (created exclusively), flushed, and only when all are staged renamed over the targets in
 * the given order. A failure before the renames leaves every old file as it was and removes the temporary files. A
 * target that is a symbolic link or not a regular file is refused before anything is written. Replaced files keep
 * their permission bits.
 */
export async function writeFilesAtomic(files: readonly OutputFile[]): Promise<void> {
  const modes = new Map<string, number | undefined>();
  for (const f of files) modes.set(f.path, existingFileMode(f.path, await lstatOrNone(f.path)));
  const staged: { tmp: string; path: string }[] = [];
  let current = files[0]?.path ?? '';
  try {
    for (const f of files) {
      current = f.path;
      const tmp = join(dirname(f.path), `.${basename(f.path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
      const handle = await open(tmp, 'wx', modes.get(f.path) ?? 0o666);
      staged.push({ tmp, path: f.path });
      try {
        await handle.writeFile(f.data);
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    for (const s of staged) {
      current = s.path;
      await rename(s.tmp, s.path);
    }
  } catch (e) {
    await Promise.all(staged.map((s) => rm(s.tmp, { force: true }).catch(() => undefined)));
    throw new FileError('FILE_IO', current, `cannot write ${current}: ${describeFileError(e)}`);
  }
  for (const dir of new Set(files.map((f) => dirname(f.path)))) await syncDirectory(dir);
}

/** `writeFilesAtomic` for one file: a crash mid-write keeps the previous file. */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  await writeFilesAtomic([{ path, data }]);
}

/** Makes the renames durable. Not every platform can open a folder (Windows cannot): best effort. */
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

/**
 * Opens a file for a stream of lines (a monitor's JSON lines), truncating it or appending to it. Lines are written
 * as they come so a crash loses none already seen; a symbolic link or a non-regular file is refused, also when one
 * appears between the check and the open (`O_NOFOLLOW`). Returns the file descriptor.
 */
export function openOutputStream(path: string, append: boolean): number {
  let existing: Stats | undefined;
  try {
    existing = lstatSync(path);
  } catch (e) {
    if (errnoCode(e) !== 'ENOENT') throw new FileError('FILE_IO', path, `cannot open ${path}: ${describeFileError(e)}`);
  }
  existingFileMode(path, existing);
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | (constants.O_NOFOLLOW ?? 0) | (append ? constants.O_APPEND : constants.O_TRUNC), 0o666);
  } catch (e) {
    if (errnoCode(e) === 'ELOOP') existingFileMode(path, lstatSync(path));
    throw new FileError('FILE_IO', path, `cannot open ${path}: ${describeFileError(e)}`);
  }
  const opened = fstatSync(fd);
  if (!opened.isFile()) {
    closeSync(fd);
    existingFileMode(path, opened);
  }
  return fd;
}

/**
 * Creates `dir` and its missing parents one level at a time, so every failure has the OS's own reason for the folder
 * it concerns (`mkdir -p` in Node reports a read-only mount as ENOENT, and spins forever under /proc). `dir` itself
 * may not be a symbolic link.
 */
export async function ensureDirectory(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let at = resolve(dir); ; at = dirname(at)) {
    const s = await lstatOrNone(at, ['ENOENT', 'ENOTDIR']);
    if (s !== undefined) {
      if (at === resolve(dir) && s.isSymbolicLink()) throw new FileError('FILE_IO', dir, `refusing to write into ${dir}: it is a symbolic link (give the folder itself)`);
      const target = s.isSymbolicLink() ? await stat(at).catch(() => undefined) : s;
      if (!target?.isDirectory()) throw new FileError('FILE_IO', dir, `cannot use ${dir} as a folder: ${at} is ${target ? kindOf(target) : 'a broken symbolic link'}`);
      break;
    }
    missing.unshift(at);
    if (dirname(at) === at) break;
  }
  for (const folder of missing) {
    try {
      await mkdir(folder);
    } catch (e) {
      if (errnoCode(e) === 'EEXIST' && (await stat(folder).catch(() => undefined))?.isDirectory()) continue;
      // ENOENT although the parent exists: a virtual file system such as /proc that takes no new folders
      const hint = errnoCode(e) === 'ENOENT' ? `; the file system of ${dirname(folder)} does not take new folders` : '';
      throw new FileError('FILE_IO', dir, `cannot create folder ${folder}: ${describeFileError(e)}${hint}`);
    }
  }
}

/** Creates and removes an empty file in `dir`, so a later write there is known to work (with the OS's reason if not). */
async function probeDirectory(dir: string, what: string): Promise<void> {
  const probe = join(dir, `.gradscope-probe.${process.pid}.${randomBytes(6).toString('hex')}`);
  try {
    await (await open(probe, 'wx')).close();
  } catch (e) {
    throw new FileError('FILE_IO', what, `cannot write into folder ${dir}: ${describeFileError(e)}`);
  }
  await rm(probe, { force: true });
}

/**
 * Checks, before any work, that a file can later be written at `path` by `writeFileAtomic` or `openOutputStream`:
 * its folder exists and takes new files, and the path is not a symbolic link or a non-regular file.
 */
export async function checkOutputFile(path: string): Promise<void> {
  existingFileMode(path, await lstatOrNone(path));
  const dir = dirname(resolve(path));
  const s = await stat(dir).catch((e: unknown) => {
    throw new FileError('FILE_IO', path, `cannot write ${path}: folder ${dirname(path)}: ${describeFileError(e)}`);
  });
  if (!s.isDirectory()) throw new FileError('FILE_IO', path, `cannot write ${path}: ${dirname(path)} is ${kindOf(s)}`);
  await probeDirectory(dir, path);
}

/** Creates an output folder (see `ensureDirectory`) and checks that it takes new files. */
export async function prepareOutputDirectory(dir: string): Promise<void> {
  await ensureDirectory(dir);
  await probeDirectory(dir, dir);
}
