import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSpec } from '@gradscope/core';
import { readCheckpointFile, readParamsFile } from '@gradscope/core/node';

// Issue #19 item 8: output paths are checked before training, with the OS's real reason; signals save, then exit 128+n.
const appDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(appDir, 'dist', 'cli.js');
const lstm = join(appDir, 'examples', 'lstm.json');
const tmp = mkdtempSync(join(tmpdir(), 'gradscope-train-out-'));
const common = ['train', '--spec', lstm, '--task', 'adding:T=10', '--backend', 'reference', '--batch', '4'];

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...common, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function victim(name: string): string {
  const path = join(tmp, `${name}-victim`);
  writeFileSync(path, 'precious');
  return path;
}

describe('train checks its output paths before any work', () => {
  it('a --save folder that does not exist: exit 2 naming the flag, nothing trained', () => {
    const save = join(tmp, 'no-such-folder', 'w.safetensors');
    const r = run('--steps', '5', '--save', save);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`gradscope: error: --save: cannot write ${save}: folder ${dirname(save)}: no such file or directory (ENOENT)\n`);
    expect(r.stdout).toBe('');
  });

  it('a --save extension that cannot be written is refused before training, not after', () => {
    const r = run('--steps', '5', '--save', join(tmp, 'w.pt'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--save: cannot tell the weights format of');
    expect(r.stdout).toBe('');
  });

  it.each([
    ['--save', (p: string) => ['--save', p]],
    ['--checkpoint', (p: string) => ['--save', join(tmp, 'ok.safetensors'), '--checkpoint', p]],
    ['--monitor', (p: string) => ['--save', join(tmp, 'ok.safetensors'), '--monitor', `jsonl:${p}`]],
  ])('%s pointing at a planted symbolic link is refused and its target left alone', (flag, args) => {
    const target = victim(flag.slice(2));
    const link = join(tmp, `${flag.slice(2)}-link.safetensors`);
    symlinkSync(target, link);
    const r = run('--steps', '5', ...args(link));
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`gradscope: error: ${flag}: refusing to write ${link}: it is a symbolic link (give the path of the file itself)\n`);
    expect(r.stdout).toBe('');
    expect(readFileSync(target, 'utf8')).toBe('precious');
    expect(readlinkSync(link)).toBe(target);
  });

  it('a read-only mount is reported as EROFS (root only: it mounts a read-only tmpfs)', (ctx) => {
    const mountPoint = join(tmp, 'ro');
    mkdirSync(mountPoint);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro', 'tmpfs', mountPoint], { stdio: 'ignore' });
    } catch {
      return ctx.skip();
    }
    try {
      const r = run('--steps', '5', '--save', join(mountPoint, 'w.safetensors'));
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`gradscope: error: --save: cannot write into folder ${mountPoint}: read-only file system (EROFS)\n`);
    } finally {
      execFileSync('umount', [mountPoint]);
    }
  });
});

describe('train stopped by a signal saves what was asked, then exits 128 + the signal', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s: weights and checkpoint are written, exit %i', async (signal, code) => {
    const save = join(tmp, `${signal}.safetensors`);
    const checkpoint = join(tmp, `${signal}.ckpt.safetensors`);
    const child = spawn(process.execPath, [cli, ...common, '--steps', '100000', '--report-every', '1', '--save', save, '--checkpoint', checkpoint]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (/^step +2\//m.test(stdout) && !child.killed) child.kill(signal);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exit = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(exit).toBe(code);
    expect(stdout).toMatch(/^stopped: aborted before step \d+$/m);
    const step = Number(/^done at step (\d+)/m.exec(stdout)![1]);
    expect(stderr).toContain(`gradscope: error: interrupted by ${signal} after step ${step}; saved the weights in ${save} and checkpoint in ${checkpoint}\n`);
    const spec = parseSpec(JSON.parse(readFileSync(lstm, 'utf8')));
    await readParamsFile(save, spec);
    expect((await readCheckpointFile(checkpoint)).state.step).toBe(step);
  }, 60_000);
});
