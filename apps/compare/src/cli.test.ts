import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { initParams, isConvResidual, parseModelSpec, parseSpec, type GradientResult, type ParamSet } from '@gradscope/core';
import { createReferenceBackend } from '@gradscope/testkit';
import { parseTensorJson } from './io.js';

const appDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(appDir, 'dist', 'cli.js');
const example = (name: string): string => join(appDir, 'examples', name);
const tmp = mkdtempSync(join(tmpdir(), 'gradscope-cli-'));

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  // every gradient of a ResNet-20 as JSON is a few MB
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** No stack frame (`    at fn (file:line)`) may reach the user. */
function expectNoStack(stderr: string): void {
  expect(stderr).not.toMatch(/^\s+at .+[:(]/m);
}

async function referenceGradients(specFile: string, input: string, target: string, params?: ParamSet): Promise<GradientResult> {
  const spec = parseSpec(JSON.parse(readFileSync(example(specFile), 'utf8')));
  const backend = createReferenceBackend();
  const model = await backend.createModel(spec, params ?? initParams(spec, { seed: 0 }));
  const batch = {
    input: parseTensorJson(JSON.parse(readFileSync(example(input), 'utf8')), 'input'),
    target: parseTensorJson(JSON.parse(readFileSync(example(target), 'utf8')), 'target'),
  };
  const result = await model.computeGradients(batch, 'mse');
  await backend.dispose();
  return result;
}

const values = (t: { data: ArrayLike<number> }): number[] => Array.from(t.data);

describe('gradscope probe', () => {
  it('prints the DESIGN.md object for a residual spec, equal to the reference backend', async () => {
    const r = run('probe', '--backend', 'reference', '--spec', example('residual-sigmoid.json'), '--input', example('residual-input.json'), '--target', example('residual-target.json'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    const keys = Object.keys(out);
    expect(keys.slice(0, 4)).toEqual(['output', 'loss', 'grads', 'blockOutputGradNorms']);
    expect(keys[keys.length - 1]).toBe('backend');
    expect(keys).not.toContain('hiddenGradNormsPerTimestep');
    const ref = await referenceGradients('residual-sigmoid.json', 'residual-input.json', 'residual-target.json');
    expect(out['backend']).toBe('reference');
    expect(out['output']).toEqual({ shape: [3, 2], data: values(ref.output) });
    expect(out['loss']).toBe(ref.loss);
    const grads = out['grads'] as Record<string, { shape: number[]; data: number[] }>;
    expect(Object.keys(grads)).toEqual(Object.keys(ref.grads));
    expect(grads['blocks.0.0.weight']).toEqual({ shape: [10, 10], data: values(ref.grads['blocks.0.0.weight']!) });
    expect(out['blockOutputGradNorms']).toEqual(ref.blockOutputGradNorms);
    expect(out['blockOutputGradNorms']).toHaveLength(12);
  });

  it('prints per-timestep norms of the top layer, the whole grid and dL/dc_t for an LSTM with weights from a file', async () => {
    const spec = parseSpec(JSON.parse(readFileSync(example('lstm.json'), 'utf8')));
    const params = initParams(spec, { seed: 5 });
    const weights = join(tmp, 'lstm-weights.json');
    writeFileSync(weights, JSON.stringify(Object.fromEntries(Object.entries(params).map(([k, t]) => [k, { shape: t.shape, data: values(t) }]))));
    const r = run('probe', '--backend', 'reference', '--spec', example('lstm.json'), '--weights', weights, '--input', example('lstm-input.json'), '--target', example('lstm-target.json'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    const ref = await referenceGradients('lstm.json', 'lstm-input.json', 'lstm-target.json', params);
    expect(out['loss']).toBe(ref.loss);
    expect(out['hiddenGradNorms']).toEqual(ref.hiddenGradNorms);
    expect(out['hiddenGradNormsPerTimestep']).toEqual(ref.hiddenGradNorms![1]);
    expect(out['hiddenGradNormsPerTimestep']).toHaveLength(8);
    expect(out['cellGradNormsPerTimestep']).toEqual(ref.cellGradNorms![1]);
    expect(out['inputGradNormsPerTimestep']).toEqual(ref.inputGradNorms);
    expect((out['grads'] as Record<string, unknown>)['lstm.weight_hh_l1']).toEqual({ shape: [24, 6], data: values(ref.grads['lstm.weight_hh_l1']!) });
  });
});

describe('gradscope probe on conv specs', () => {
  const conv = (file: string, ...rest: string[]) =>
    run('probe', '--spec', file, '--input', example('conv-input.json'), '--target', example('conv-target.json'), '--loss', 'crossEntropy', ...rest);

  it('expands a preset and prints one gradient norm per BasicBlock, equal to the reference backend', async () => {
    const presetSpec = { kind: 'residual', variant: 'conv', preset: 'resnet20', inputChannels: 1, inputSize: 8, outputSize: 4 };
    const file = join(tmp, 'resnet20.json');
    writeFileSync(file, JSON.stringify(presetSpec));
    const r = conv(file, '--backend', 'reference');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { loss: number; blockOutputGradNorms: number[]; grads: Record<string, unknown> };
    expect(out.blockOutputGradNorms).toHaveLength(9);
    expect(Object.keys(out.grads)).toContain('layer3.2.bn2.weight');
    const spec = parseModelSpec(presetSpec);
    const backend = createReferenceBackend();
    const model = await backend.createModel(spec, initParams(spec, { seed: 0 }));
    const batch = {
      input: parseTensorJson(JSON.parse(readFileSync(example('conv-input.json'), 'utf8')), 'input'),
      target: parseTensorJson(JSON.parse(readFileSync(example('conv-target.json'), 'utf8')), 'target'),
    };
    const ref = await model.computeGradients(batch, 'crossEntropy');
    await backend.dispose();
    expect(out.loss).toBe(ref.loss);
    expect(out.blockOutputGradNorms).toEqual(ref.blockOutputGradNorms);
  });

  it('--batch-norm eval normalizes with the running statistics, as the reference in eval mode; train is the default', async () => {
    const spec = parseModelSpec(JSON.parse(readFileSync(example('conv-small.json'), 'utf8')));
    if (!isConvResidual(spec)) throw new Error('conv-small.json is a conv spec');
    const batch = {
      input: parseTensorJson(JSON.parse(readFileSync(example('conv-input.json'), 'utf8')), 'input'),
      target: parseTensorJson(JSON.parse(readFileSync(example('conv-target.json'), 'utf8')), 'target'),
    };
    const backend = createReferenceBackend();
    const model = await backend.createModel(spec, initParams(spec, { seed: 0 }));
    model.setBatchNormMode('eval');
    const evalRef = await model.computeGradients(batch, 'crossEntropy');
    await backend.dispose();
    const loss = (...rest: string[]): number => {
      const r = conv(example('conv-small.json'), '--backend', 'tfjs', ...rest);
      expect(r.stderr).toBe('');
      return (JSON.parse(r.stdout) as { loss: number }).loss;
    };
    const evalLoss = loss('--batch-norm', 'eval');
    expect(Math.abs(evalLoss - evalRef.loss) / evalRef.loss).toBeLessThan(1e-5);
    expect(loss()).toBe(loss('--batch-norm', 'train'));
    expect(Math.abs(loss() - evalLoss)).toBeGreaterThan(1e-3);
  });

  it('--batch-norm on a spec without BatchNorm names the flag and the field', () => {
    const r = run('probe', '--backend', 'reference', '--spec', example('residual-sigmoid.json'), '--input', example('residual-input.json'), '--target', example('residual-target.json'), '--batch-norm', 'eval');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('norm: --batch-norm eval needs a conv spec with BatchNorm ("norm": "batch")');
    expectNoStack(r.stderr);
  });

  it('brain: the NotSupportedError message, no stack trace', () => {
    const r = conv(example('conv-small.json'), '--backend', 'brain');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('gradscope: error: brain backend does not support residual variant "conv"\n');
  });

  it('a bad conv spec: every JSON path and the allowed values', () => {
    const file = join(tmp, 'bad-conv.json');
    writeFileSync(file, JSON.stringify({ kind: 'residual', variant: 'conv', preset: 'resnet21', stem: 'cifar10', stages: [{ blocks: 0, channels: 4 }] }));
    const r = conv(file, '--backend', 'reference');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('invalid spec "');
    expect(r.stderr).toContain('  - preset: expected one of resnet20|resnet32|resnet56|resnet18|resnet34, got "resnet21"');
    expect(r.stderr).toContain('  - stem: ');
    expect(r.stderr).toContain('  - stages[0].blocks: ');
    expectNoStack(r.stderr);
  });
});

describe('gradscope errors: one clear message, no stack trace', () => {
  const probeArgs = ['--spec', example('residual-sigmoid.json'), '--input', example('residual-input.json'), '--target', example('residual-target.json')];

  it('unknown backend: usage error, exit 2, the known names listed', () => {
    const r = run('probe', '--backend', 'pytorch', ...probeArgs);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/'pytorch' is invalid.*reference, tfjs, onnx, brain/);
    expectNoStack(r.stderr);
  });

  it('compare with an unknown backend in --backends: usage error, exit 2', () => {
    const r = run('compare', '--backends', 'reference,pytorch', '--suite', 'smoke', '--out', join(tmp, 'unused'));
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('gradscope: error: unknown backend "pytorch" (expected one of reference|tfjs|onnx|brain|brain-stock|onnx-node)\n');
    expect(existsSync(join(tmp, 'unused'))).toBe(false);
  });

  it('bench measures the chosen backends and workloads and writes BENCHMARKS.md and bench/results.json', () => {
    const out = join(tmp, 'bench-out');
    const r = run('bench', '--backends', 'reference', '--only', 'residual-8x64,lstm-h32-t20', '--time', '10', '--iterations', '2', '--no-torch', '--out-dir', out);
    expect(r.code, r.stderr).toBe(0);
    const results = JSON.parse(readFileSync(join(out, 'bench', 'results.json'), 'utf8')) as {
      rows: { backend: string; workload: string; monitorOffMs: number; monitorOnMs: number; monitorOverhead: number; gflops?: number }[];
      torch: { available: boolean; reason?: string };
    };
    expect(results.rows.map((row) => `${row.backend} ${row.workload}`)).toEqual(['reference lstm-h32-t20', 'reference residual-8x64']); // in the workload table's order
    for (const row of results.rows) {
      expect(row.monitorOffMs).toBeGreaterThan(0);
      expect(row.monitorOverhead).toBeCloseTo(row.monitorOnMs / row.monitorOffMs, 12);
    }
    expect(results.rows[1]!.gflops).toBeGreaterThan(0); // dense workloads carry a FLOP rate, recurrent ones do not
    expect(results.rows[0]!.gflops).toBeUndefined();
    expect(results.torch).toEqual({ available: false, reason: 'disabled with --no-torch' });
    const md = readFileSync(join(out, 'BENCHMARKS.md'), 'utf8');
    expect(md).toContain('| residual depth 8 | reference |');
    expect(md).toContain('PyTorch column skipped: disabled with --no-torch.');
    expect(r.stdout).toContain(`Wrote ${join(out, 'BENCHMARKS.md')}`);
  });

  it('bench rejects an unknown workload with the list of known ones', () => {
    const r = run('bench', '--only', 'resnet-50', '--out-dir', join(tmp, 'unused-bench'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--only: unknown workload resnet-50 (expected residual-16x64|');
    expect(existsSync(join(tmp, 'unused-bench'))).toBe(false);
  });

  it('bad flag: usage and exit 2; --help: exit 0', () => {
    const bad = run('probe', '--backend', 'reference', '--frobnicate', ...probeArgs);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown option '--frobnicate'");
    expect(bad.stderr).toContain('--help');
    for (const command of ['probe', 'compare', 'train', 'export', 'bench', 'report']) {
      const help = run(command, '--help');
      expect(help.code, command).toBe(0);
      expect(help.stdout, command).toContain(`Usage: gradscope ${command}`);
    }
  });

  it('malformed spec: the JSON path and the allowed values, exit 1', () => {
    const spec = join(tmp, 'bad-spec.json');
    writeFileSync(spec, JSON.stringify({ kind: 'residual', inputSize: 4, outputSize: 2, width: 10, depth: 3, block: { activation: 'rleu' } }));
    const r = run('probe', '--backend', 'reference', ...probeArgs.slice(2), '--spec', spec);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(spec);
    expect(r.stderr).toMatch(/block\.activation: .*relu.*"rleu"/);
    expectNoStack(r.stderr);
  });

  it('missing weights file and mismatched weights are named', () => {
    const missing = run('probe', '--backend', 'reference', ...probeArgs, '--weights', join(tmp, 'nope.safetensors'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('nope.safetensors');
    expectNoStack(missing.stderr);
    const wrong = join(tmp, 'wrong.json');
    writeFileSync(wrong, JSON.stringify({ 'stem.weight': { shape: [10, 3], data: new Array(30).fill(0) } }));
    const mismatch = run('probe', '--backend', 'reference', ...probeArgs, '--weights', wrong);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toContain('stem.weight: expected shape [10, 4], got [10, 3]');
    expect(mismatch.stderr).toContain('missing: head.bias');
    expectNoStack(mismatch.stderr);
  });

  it('input of the wrong shape names the expected shape', () => {
    const input = join(tmp, 'x3.json');
    writeFileSync(input, JSON.stringify([[1, 2, 3]]));
    const r = run('probe', '--backend', 'reference', '--spec', example('residual-sigmoid.json'), '--input', input, '--target', example('residual-target.json'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('expected shape [batch, 4], got [1, 3]');
    expectNoStack(r.stderr);
  });

  it('unwritable report folder fails before running anything', () => {
    const file = join(tmp, 'a-file');
    writeFileSync(file, '');
    const r = run('compare', '--backends', 'reference', '--suite', 'smoke', '--out', join(file, 'report'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot write the report into "${join(file, 'report')}"`);
    expect(r.stderr).not.toContain('[1/');
    expectNoStack(r.stderr);
  });
});

describe('gradscope compare (the built CLI)', () => {
  it('shows progress as plain lines when not on a terminal, prints the tables and says where the report is', () => {
    const out = join(tmp, 'report-cli');
    const r = run('compare', '--backends', 'reference', '--suite', 'smoke', '--out', out, '--workers', '1');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^\[1\/27\] plain sigmoid depth 4 width 12 on reference$/m);
    expect(r.stderr).toMatch(/^\[14\/27\] lstm chrono:30 T=30 on reference$/m);
    expect(r.stderr).toMatch(/^\[18\/27\] ResNet-14 mnist 14×14 on reference$/m);
    expect(r.stderr).toMatch(/^\[27\/27\] clip value:0.1 rnn T=10 \(W_hh ×1.5\) on reference$/m);
    // verdicts come first, one line per claim
    expect(r.stdout).toMatch(/^Verdicts \(\d of \d+ claims shown on every backend; smoke suite, seed 0, \d+ s\):\n  (shown|NOT shown): residual keeps the gradient at depth 16 \(sigmoid\): block 0 gets /);
    expect(r.stdout).toContain('Cures: gradient clipping on a tanh RNN');
    expect(r.stdout).toContain('Depth: gradient reaching the first and last block');
    expect(r.stdout).toContain('Speed: median training-step time');
    expect(r.stdout).toContain('Depth on real digits (MNIST 14×14');
    expect(r.stdout).toMatch(/^reference: degradation (shown|not shown under this budget)/m);
    expect(r.stdout).toContain(`Report: ${join(out, 'index.html')}`);
    expect(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).suite.name).toBe('smoke');
  });

  it('--experiments runs only the named experiments; the report and results.json hold just those', () => {
    const out = join(tmp, 'report-mnist-only');
    const r = run('compare', '--backends', 'reference', '--suite', 'smoke', '--experiments', 'mnist', '--out', out);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^\[4\/4\] (plain|ResNet)-\d+ mnist 14×14 on reference$/m);
    expect(r.stdout).toContain('Depth on real digits (MNIST 14×14');
    expect(r.stdout).not.toContain('Depth: gradient reaching the first and last block');
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.experiments).toEqual(['mnist']);
    expect([results.depth.runs.length, results.time.runs.length, results.mnist.runs.length]).toEqual([0, 0, 4]);
  });

  it('--only runs the workloads whose label matches; results.json and the verdict line name the filter', () => {
    const out = join(tmp, 'report-only');
    const r = run('compare', '--backends', 'reference', '--suite', 'smoke', '--experiments', 'time', '--only', '^(gru|rnn) T=30$', '--out', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Verdicts \(\d of \d claims shown on every backend; smoke suite, runs matching \/\^\(gru\|rnn\) T=30\$\/, seed 0/);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.only).toBe('^(gru|rnn) T=30$');
    expect(results.time.runs.map((t: { label: string; T: number }) => `${t.label} T=${t.T}`).sort()).toEqual(['gru T=30', 'rnn T=30']);
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('only the runs matching <code>^(gru|rnn) T=30$</code>');
  });

  it('--only that is no regular expression (no report folder made), or that matches nothing: usage error, exit 2', () => {
    const bad = run('compare', '--only', 'T=(', '--out', join(tmp, 'unused-only'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^gradscope: error: --only: not a regular expression: .*Unterminated group/);
    expect(existsSync(join(tmp, 'unused-only'))).toBe(false);
    const none = run('compare', '--backends', 'reference', '--suite', 'smoke', '--experiments', 'time', '--only', 'T=999', '--out', join(tmp, 'only-none'));
    expect(none.code).toBe(2);
    expect(none.stderr).toBe('gradscope: error: no smoke-suite workload of time matches /T=999/\n');
  });

  it('--experiments with an unknown name: usage error naming the choices, exit 2', () => {
    const r = run('compare', '--experiments', 'mnist,width', '--out', join(tmp, 'unused-exp'));
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('gradscope: error: --experiments: expected a comma-separated list of depth|time|mnist|cures, got "mnist,width"\n');
    expect(existsSync(join(tmp, 'unused-exp'))).toBe(false);
  });

  it('report rewrites the HTML of a results.json without running anything (here: a full MNIST run written by 0.1.0, before verdicts and cures)', () => {
    const committed = join(dirname(fileURLToPath(import.meta.url)), '__fixtures__', 'results-0.1.0-mnist-full.json');
    const out = join(tmp, 'report-rerendered');
    const r = run('report', committed, '--out', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`Report: ${join(out, 'index.html')}\nNumbers: ${join(out, 'results.json')}\n`);
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).toContain('<h2>Depth on real digits</h2>');
    expect(html).toContain('onnx: degradation shown');
    expect(html).not.toContain('<h2>Depth: plain vs residual</h2>'); // no dense depth runs in an mnist-only run
    // every committed number is kept; fields of today's format (verdicts, cures, ...) are filled in
    const rewritten = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(rewritten).toMatchObject(JSON.parse(readFileSync(committed, 'utf8')));
    expect(rewritten.verdicts.map((v: { claim: string }) => v.claim)).toContain('a deeper plain conv net trains worse, a deeper ResNet does not (MNIST)');
    expect(html).toContain('<h2>Verdicts</h2>');
  });

  it('report on a file that is not a compare results.json names the missing fields, exit 1', () => {
    const r = run('report', join(tmp, '..', 'package.json-missing'), '--out', join(tmp, 'unused-report'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^gradscope: error: cannot read results file ".*package\.json-missing": /);
    const notResults = join(tmp, 'not-results.json');
    writeFileSync(notResults, JSON.stringify({ gradscopeCompareVersion: '0.1.0', suite: { name: 'quick' } }));
    const bad = run('report', notResults, '--out', join(tmp, 'unused-report'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`"${notResults}" is not a gradscope compare results.json: suite.depth: required object is missing; `);
    expect(bad.stderr).toContain('; machine: required object is missing; ');
    expect(existsSync(join(tmp, 'unused-report'))).toBe(false);
  });

  it('interrupted (Ctrl-C) while running, it leaves the previous report intact', async () => {
    const out = join(tmp, 'report-interrupted');
    expect(run('compare', '--backends', 'reference', '--suite', 'smoke', '--out', out, '--seed', '1').code).toBe(0);
    const before = [readFileSync(join(out, 'index.html'), 'utf8'), readFileSync(join(out, 'results.json'), 'utf8')];
    const child = spawn(process.execPath, [cli, 'compare', '--backends', 'reference', '--suite', 'smoke', '--out', out, '--seed', '2']);
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('[2/27]')) child.kill('SIGINT');
    });
    expect(await exited).toBe('SIGINT');
    expect([readFileSync(join(out, 'index.html'), 'utf8'), readFileSync(join(out, 'results.json'), 'utf8')]).toEqual(before);
    expect(readdirSync(out).sort()).toEqual(['index.html', 'results.json']);
  });
});
