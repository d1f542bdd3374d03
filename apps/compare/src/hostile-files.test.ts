import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CHECKPOINT_FORMAT, initParams, parseSpec, parseTrainingConfig, serializeSafetensors, type SafetensorsTensor } from '@gradscope/core';

// Issue #19 items 4, 6, 9 through the built CLI: each file is refused with the file and the field or tensor named,
// or accepted and handled safely; never a stack trace, a hang or markup in the report.
const appDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(appDir, 'dist', 'cli.js');
const example = (name: string): string => join(appDir, 'examples', name);
const tmp = mkdtempSync(join(tmpdir(), 'gradscope-hostile-'));
const spec = parseSpec(JSON.parse(readFileSync(example('residual-sigmoid.json'), 'utf8')));
const probeArgs = ['--backend', 'reference', '--input', example('residual-input.json'), '--target', example('residual-target.json')];

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(timeout: number, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function file(name: string, contents: string | Uint8Array): string {
  const path = join(tmp, name);
  writeFileSync(path, contents);
  return path;
}

describe('files a user did not write', () => {
  it('a spec saved with a UTF-8 byte-order mark is read (was: Unexpected token)', () => {
    const bom = file('bom-spec.json', `\uFEFF${readFileSync(example('residual-sigmoid.json'), 'utf8')}`);
    const r = run(60_000, 'probe', '--spec', bom, ...probeArgs);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('an input holding 1e999 (Infinity once parsed) is refused, naming the file and the index', () => {
    const input = file('inf-input.json', '{"shape": [1, 4], "data": [0.1, 1e999, 0, 0]}');
    const r = run(60_000, 'probe', '--spec', example('residual-sigmoid.json'), '--backend', 'reference', '--input', input, '--target', example('residual-target.json'));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`gradscope: error: input "${input}".data[1]: Infinity is not a finite float32 value\n`);
  });

  it('safetensors weights holding NaN are refused like JSON weights, naming the file and the tensor', () => {
    const params = initParams(spec, { seed: 0 });
    const bad = { ...params, 'head.bias': { shape: [2], data: Float32Array.of(0, NaN) } };
    const weights = file('nan.safetensors', serializeSafetensors(bad));
    const r = run(60_000, 'probe', '--spec', example('residual-sigmoid.json'), '--weights', weights, ...probeArgs);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`gradscope: error: ${weights}: tensor "head.bias"[1]: NaN is not a finite float32 value\n`);
  });

  it('a resume checkpoint holding NaN is detected on load, before training', () => {
    const lstm = parseSpec(JSON.parse(readFileSync(example('lstm.json'), 'utf8')));
    const tensors: Record<string, SafetensorsTensor> = {};
    for (const [n, t] of Object.entries(initParams(lstm, { seed: 0 }))) tensors[`param/${n}`] = t;
    tensors['param/fc.bias'] = { shape: tensors['param/fc.bias']!.shape, data: Float32Array.of(NaN) };
    const config = parseTrainingConfig({ optimizer: { type: 'adam', lr: 0.01 }, loss: 'mse' });
    const metadata = { format: CHECKPOINT_FORMAT, spec: JSON.stringify(lstm), training_config: JSON.stringify(config), step: '3', optimizer_step: '3' };
    const ckpt = file('nan.ckpt.safetensors', serializeSafetensors(tensors, metadata));
    const r = run(60_000, 'train', '--resume', ckpt, '--task', 'adding:T=10', '--backend', 'reference', '--steps', '2', '--save', join(tmp, 'resumed.safetensors'));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`gradscope: error: ${ckpt}: tensor "param/fc.bias"[0]: NaN is not a finite float32 value\n`);
    expect(r.stdout).toBe('');
  });

  it('report: markup in a received results.json never reaches index.html; a seed with markup is refused by name', () => {
    const committed = JSON.parse(readFileSync(join(appDir, 'src', '__fixtures__', 'results-0.1.0-mnist-full.json'), 'utf8')) as Record<string, unknown>;
    const out = join(tmp, 'hostile-report');
    committed['startedAt'] = '<script>alert(1)</script>';
    (committed['backends'] as { name: string }[])[0]!.name = 'tfjs<img src=x onerror=alert(2)>';
    const ok = run(60_000, 'report', file('hostile-results.json', JSON.stringify(committed)), '--out', out);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(readFileSync(join(out, 'index.html'), 'utf8')).not.toMatch(/<script|<img/i);
    committed['seed'] = '<script>alert(1)</script>';
    const refused = run(60_000, 'report', file('seed-results.json', JSON.stringify(committed)), '--out', join(tmp, 'never'));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('seed: expected number, got "<script>alert(1)</script>"');
    expect(existsSync(join(tmp, 'never'))).toBe(false);
  });

  it.runIf(existsSync('/proc/self'))('compare --out under /proc fails at once (was a 100% CPU hang)', () => {
    const r = run(15_000, 'compare', '--backends', 'reference', '--suite', 'smoke', '--out', '/proc/gradscope-x');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('gradscope: error: cannot write the report into "/proc/gradscope-x": cannot create folder /proc/gradscope-x: no such file or directory (ENOENT); the file system of /proc does not take new folders\n');
  });
});
