import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeFileError, FileError } from './file-error.js';
import { checkOutputFile, ensureDirectory, openOutputStream, prepareOutputDirectory, writeFileAtomic, writeFilesAtomic } from './output-files.js';

let dir: string;
let readOnly: string | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gradscope-out-'));
  // A read-only mount shows the OS's real reason (EROFS); only root can make one, so elsewhere that test is skipped.
  const mountPoint = join(dir, 'ro');
  mkdirSync(mountPoint);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro', 'tmpfs', mountPoint], { stdio: 'ignore' });
    readOnly = mountPoint;
  } catch {
    readOnly = undefined;
  }
});

afterAll(async () => {
  if (readOnly) execFileSync('umount', [readOnly]);
  await rm(dir, { recursive: true, force: true });
});

async function rejection(p: Promise<unknown>): Promise<FileError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(FileError);
  return e as FileError;
}

/** A file someone wants to protect, and a link to it planted where gradscope will write. */
function planted(name: string): { link: string; victim: string } {
  const victim = join(dir, `${name}-victim`);
  writeFileSync(victim, 'precious');
  const link = join(dir, name);
  symlinkSync(victim, link);
  return { link, victim };
}

describe('writeFilesAtomic / writeFileAtomic', () => {
  it('refuses a symbolic link as the target and leaves the link and its target alone', async () => {
    const { link, victim } = planted('model.json');
    const e = await rejection(writeFileAtomic(link, '{}'));
    expect(e.message).toBe(`refusing to write ${link}: it is a symbolic link (give the path of the file itself)`);
    expect(readFileSync(victim, 'utf8')).toBe('precious');
    expect(readlinkSync(link)).toBe(victim);
  });

  it('refuses a folder as the target', async () => {
    mkdirSync(join(dir, 'a-folder'));
    expect((await rejection(writeFileAtomic(join(dir, 'a-folder'), 'x'))).message).toBe(`refusing to write ${join(dir, 'a-folder')}: it is a folder, not a regular file`);
  });

  it('checks every target before writing any (one link among several files writes nothing)', async () => {
    const { link } = planted('weights.bin');
    const first = join(dir, 'first.json');
    await rejection(writeFilesAtomic([{ path: first, data: 'new' }, { path: link, data: 'new' }]));
    expect(existsSync(first)).toBe(false);
  });

  it('keeps every old file, and leaves no temporary file, when a later file cannot be staged', async () => {
    const sub = join(dir, 'pair');
    mkdirSync(sub);
    writeFileSync(join(sub, 'results.json'), 'old json');
    const e = await rejection(writeFilesAtomic([{ path: join(sub, 'results.json'), data: 'new json' }, { path: join(sub, 'gone', 'index.html'), data: 'new html' }]));
    expect(e.message).toBe(`cannot write ${join(sub, 'gone', 'index.html')}: no such file or directory (ENOENT)`);
    expect(readFileSync(join(sub, 'results.json'), 'utf8')).toBe('old json');
    expect(readdirSync(sub)).toEqual(['results.json']);
  });
});

describe('openOutputStream', () => {
  it('refuses a symbolic link (the target is not truncated)', () => {
    const { link, victim } = planted('monitor.jsonl');
    expect(() => openOutputStream(link, false)).toThrow(`refusing to write ${link}: it is a symbolic link (give the path of the file itself)`);
    expect(() => openOutputStream(link, true)).toThrow(FileError);
    expect(readFileSync(victim, 'utf8')).toBe('precious');
  });

  it('truncates or appends a regular file', () => {
    const path = join(dir, 'lines.jsonl');
    writeFileSync(path, 'old\n');
    let fd = openOutputStream(path, true);
    writeSync(fd, 'more\n');
    closeSync(fd);
    expect(readFileSync(path, 'utf8')).toBe('old\nmore\n');
    fd = openOutputStream(path, false);
    closeSync(fd);
    expect(readFileSync(path, 'utf8')).toBe('');
  });
});

describe('output folders and preflight checks', () => {
  it.runIf(existsSync('/proc/self'))('an output folder under /proc fails at once with the reason (was a 100% CPU hang)', async () => {
    const started = Date.now();
    const e = await rejection(ensureDirectory('/proc/gradscope-x/y'));
    expect(e.message).toBe('cannot create folder /proc/gradscope-x: no such file or directory (ENOENT); the file system of /proc does not take new folders');
    expect(Date.now() - started).toBeLessThan(1000);
  }, 5000);

  it('creates missing parents and accepts an existing folder', async () => {
    const nested = join(dir, 'n1', 'n2', 'n3');
    await prepareOutputDirectory(nested);
    await ensureDirectory(nested);
    expect(readdirSync(nested)).toEqual([]);
  });

  it('refuses a folder that is a symbolic link, and a file where a folder should be', async () => {
    mkdirSync(join(dir, 'real-folder'));
    symlinkSync(join(dir, 'real-folder'), join(dir, 'linked-folder'));
    expect((await rejection(ensureDirectory(join(dir, 'linked-folder')))).message).toBe(`refusing to write into ${join(dir, 'linked-folder')}: it is a symbolic link (give the folder itself)`);
    writeFileSync(join(dir, 'plain-file'), '');
    expect((await rejection(ensureDirectory(join(dir, 'plain-file')))).message).toBe(`cannot use ${join(dir, 'plain-file')} as a folder: ${join(dir, 'plain-file')} is a regular file`);
    expect((await rejection(ensureDirectory(join(dir, 'plain-file', 'sub')))).message).toBe(`cannot use ${join(dir, 'plain-file', 'sub')} as a folder: ${join(dir, 'plain-file')} is a regular file`);
  });

  it('checkOutputFile names a missing folder and a planted link before any work', async () => {
    expect((await rejection(checkOutputFile(join(dir, 'nope', 'w.safetensors')))).message).toBe(`cannot write ${join(dir, 'nope', 'w.safetensors')}: folder ${join(dir, 'nope')}: no such file or directory (ENOENT)`);
    const { link } = planted('trained.safetensors');
    expect((await rejection(checkOutputFile(link))).message).toContain('it is a symbolic link');
    await checkOutputFile(join(dir, 'fresh.safetensors'));
    expect(existsSync(join(dir, 'fresh.safetensors'))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith('.gradscope-probe'))).toEqual([]);
  });

  it('a read-only mount is EROFS, not "no such file or directory"', async (ctx) => {
    if (!readOnly) return ctx.skip();
    expect((await rejection(checkOutputFile(join(readOnly, 'w.safetensors')))).message).toBe(`cannot write into folder ${readOnly}: read-only file system (EROFS)`);
    expect((await rejection(ensureDirectory(join(readOnly, 'report')))).message).toBe(`cannot create folder ${join(readOnly, 'report')}: read-only file system (EROFS)`);
    expect((await rejection(writeFileAtomic(join(readOnly, 'w.json'), '{}'))).message).toBe(`cannot write ${join(readOnly, 'w.json')}: read-only file system (EROFS)`);
  });

  it('describeFileError gives the reason and the code', () => {
    expect(describeFileError(Object.assign(new Error('EROFS: read-only file system, open x'), { code: 'EROFS' }))).toBe('read-only file system (EROFS)');
    expect(describeFileError(new Error('plain'))).toBe('plain');
  });
});
