import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { initParams, parseModelSpec, parseSpec } from '@gradscope/core';
import { readCheckpointFile, readParamsFile } from '@gradscope/core/node';

const appDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(appDir, 'dist', 'cli.js');
const lstm = join(appDir, 'examples', 'lstm.json');
const resnet = join(appDir, 'examples', 'resnet-mnist14.json');
const tmp = mkdtempSync(join(tmpdir(), 'gradscope-train-'));

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, 'train', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
}

const common = ['--spec', lstm, '--task', 'adding:T=20', '--backend', 'reference', '--batch', '8', '--lr', '0.01', '--clip', '1'];

describe('gradscope train', () => {
  it('prints a sparkline of ||dL/dh_t|| and the loss per reported step, warns about vanishing gradients, saves the weights', async () => {
    const save = join(tmp, 'trained.safetensors');
    const monitor = join(tmp, 'reports.jsonl');
    const r = run(...common, '--steps', '20', '--report-every', '5', '--save', save, '--monitor', `jsonl:${monitor}`);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    const steps = lines.filter((l) => /^step +\d+\/20  loss \d/.test(l));
    expect(steps.map((l) => Number(/^step +(\d+)/.exec(l)![1]))).toEqual([5, 10, 15, 20]);
    for (const l of steps) expect(l).toMatch(/h_t 0→T-1 [▁▂▃▄▅▆▇█]{20} \de-\d+…\de-?\d+$/);
    expect(r.stdout).toMatch(/^warning: step 5: vanishing gradient/m);
    expect(r.stdout).toMatch(/^done at step 20: test mse \d\.\d+ \(baseline 0\.1667/m);
    expect(r.stdout).toContain(`weights: ${save}`);
    const reports = readFileSync(monitor, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; hiddenGradNorms: number[][] });
    expect(reports.map((x) => x.step)).toEqual([5, 10, 15, 20]);
    expect(reports[0]!.hiddenGradNorms).toHaveLength(2);
    const spec = parseSpec(JSON.parse(readFileSync(lstm, 'utf8')));
    const trained = await readParamsFile(save, spec);
    const init = initParams(spec, { seed: 0 });
    expect(Array.from(trained['fc.weight']!.data)).not.toEqual(Array.from(init['fc.weight']!.data));
  });

  // The reference keeps float64 weights between steps and checkpoints hold float32, so the two runs may differ by
  // float32 rounding (~1e-7); resuming at a wrong step or with a reset optimizer moves weights by ~1e-3.
  it('a run checkpointed and resumed ends with the same weights as an uninterrupted one', async () => {
    const straight = join(tmp, 'straight.json');
    expect(run(...common, '--steps', '12', '--save', straight).code).toBe(0);
    const checkpoint = join(tmp, 'half.ckpt.safetensors');
    expect(run(...common, '--steps', '6', '--save', join(tmp, 'half.json'), '--checkpoint', checkpoint).code).toBe(0);
    const resumed = join(tmp, 'resumed.json');
    const r = run('--resume', checkpoint, '--task', 'adding:T=20', '--backend', 'reference', '--batch', '8', '--steps', '6', '--save', resumed);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('steps 7..12');
    const spec = parseSpec(JSON.parse(readFileSync(lstm, 'utf8')));
    const [a, b, half] = await Promise.all([straight, resumed, join(tmp, 'half.json')].map((f) => readParamsFile(f, spec)));
    for (const name of Object.keys(a!)) {
      expect(maxAbsDiff(a![name]!.data, b![name]!.data), name).toBeLessThan(1e-6);
      expect(maxAbsDiff(a![name]!.data, half![name]!.data), name).toBeGreaterThan(1e-4);
    }
  });

  it('trains a conv ResNet on 14×14 MNIST digits, printing per-block norms, and writes weights and a checkpoint', async () => {
    const save = join(tmp, 'resnet.safetensors');
    const checkpoint = join(tmp, 'resnet.ckpt.safetensors');
    const args = ['--spec', resnet, '--task', 'mnist:size=14', '--backend', 'tfjs', '--steps', '6', '--batch', '16', '--report-every', '3'];
    const r = run(...args, '--optimizer', 'sgd', '--lr', '0.05', '--momentum', '0.9', '--save', save, '--checkpoint', checkpoint);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const steps = r.stdout.split('\n').filter((l) => /^step +\d+\/6  loss \d/.test(l));
    expect(steps).toHaveLength(2);
    for (const l of steps) expect(l).toMatch(/blocks 0→last [▁▂▃▄▅▆▇█]{4} /);
    expect(r.stdout).toMatch(/^done at step 6: test crossEntropy \d\.\d+, accuracy \d+\.\d%$/m);
    const spec = parseModelSpec(JSON.parse(readFileSync(resnet, 'utf8')));
    const trained = await readParamsFile(save, spec);
    expect(Array.from(trained['layer1.0.bn1.running_var']!.data)).not.toEqual(Array.from(initParams(spec, { seed: 0 })['layer1.0.bn1.running_var']!.data));
    const saved = await readCheckpointFile(checkpoint);
    expect(saved.spec).toEqual(spec);
    expect(saved.state).toMatchObject({ step: 6, batchesTracked: 6 });
    expect(saved.params['layer2.1.bn2.running_mean']!.data).toEqual(trained['layer2.1.bn2.running_mean']!.data);
  });

  it('a task whose images do not fit the conv spec: usage error naming both shapes, exit 2', () => {
    const r = run('--spec', resnet, '--task', 'mnist', '--backend', 'tfjs', '--save', join(tmp, 'never.json'));
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "gradscope: error: --task mnist:size=28 does not fit the spec (conv residual 4 blocks 8-16 cifar zeropad): mnist:size=28 has images [1, 28, 28], the model's spec takes [1, 14, 14] (channels, H, W)\n",
    );
    const dense = run('--spec', resnet, '--task', 'spirals', '--backend', 'tfjs', '--save', join(tmp, 'never.json'));
    expect(dense.code).toBe(2);
    expect(dense.stderr).toMatch(/spirals:\S+ is a dense task; a conv residual model needs an image one/);
    const badName = run('--spec', resnet, '--task', 'mnist:size=7', '--backend', 'tfjs');
    expect(badName.code).toBe(1);
    expect(badName.stderr).toContain('expected mnist, mnist:size=28 or mnist:size=14, got "mnist:size=7"');
  });

  it('rejects a task that does not fit the spec, and optimizer flags on --resume, without a stack trace', () => {
    const misfit = run('--spec', lstm, '--task', 'spirals', '--backend', 'reference', '--save', join(tmp, 'x.json'));
    expect(misfit.code).toBe(2);
    expect(misfit.stderr).toMatch(/spirals:\S+ is a dense task; a recurrent model needs a sequence one/);
    expect(misfit.stderr).not.toMatch(/^\s+at /m);
    const resume = run('--resume', join(tmp, 'half.ckpt.safetensors'), '--task', 'adding:T=20', '--backend', 'reference', '--lr', '1');
    expect(resume.code).toBe(2);
    expect(resume.stderr).toContain('drop --lr');
    const badClip = run(...common, '--clip', 'sideways:1');
    expect(badClip.code).toBe(2);
    expect(badClip.stderr).toContain('--clip');
  });
});

// issue #19 items 2 and 3: brain threw from its own trainStep and saved nothing; the float64 reference wrote weights
// that overflow float32 as Inf. Now the step is refused on every backend and the last good weights are saved, finite.
describe.each(['brain', 'reference'])('gradscope train on %s: a step that would overflow float32', (backend) => {
  it('is refused; the last good weights and checkpoint are saved finite and the message says where', async () => {
    const save = join(tmp, `${backend}-nonfinite.safetensors`);
    const checkpoint = join(tmp, `${backend}-nonfinite.ckpt.safetensors`);
    const spirals = join(appDir, 'examples', 'spirals-residual.json');
    const r = run('--spec', spirals, '--task', 'spirals', '--backend', backend, '--steps', '20', '--lr', '1e38', '--optimizer', 'sgd', '--save', save, '--checkpoint', checkpoint);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('the step was refused, training stopped and the last good weights were kept');
    expect(r.stdout).toContain(`weights: ${save}`);
    const spec = parseSpec(JSON.parse(readFileSync(spirals, 'utf8')));
    const saved = await readParamsFile(save, spec);
    for (const [name, t] of Object.entries(saved)) expect(t.data.every(Number.isFinite), name).toBe(true);
    const ck = await readCheckpointFile(checkpoint);
    for (const [name, t] of Object.entries(ck.params)) expect(t.data.every(Number.isFinite), `checkpoint ${name}`).toBe(true);
  });
});
