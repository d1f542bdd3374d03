import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInProcess } from './__fixtures__/capture.js';

const tmp = mkdtempSync(join(tmpdir(), 'gradscope-budget-'));
const file = (name: string, json: unknown): string => {
  const path = join(tmp, name);
  writeFileSync(path, typeof json === 'string' ? json : JSON.stringify(json));
  return path;
};

describe('model-size budget on the command line', () => {
  const wide = file('wide.json', '{"kind":"residual","inputSize":1,"outputSize":1,"width":65536,"depth":1024}\n');

  it('train refuses the 76-byte width-65536 depth-1024 spec before building anything, naming the file and spec.width', async () => {
    const start = performance.now();
    const r = await runInProcess(['train', '--spec', wide, '--task', 'spirals', '--backend', 'reference', '--steps', '1', '--save', join(tmp, 'w.safetensors')]);
    expect(performance.now() - start).toBeLessThan(2000);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`invalid spec "${wide}": 1 problem`);
    expect(r.stderr).toMatch(/- width: the model would have 4,398,113,816,577 parameters .*limit of 50,000,000.*--max-params/);
  });

  it('probe and export refuse it too; --max-params rejects a bad value as a usage error', async () => {
    const probe = await runInProcess(['probe', '--backend', 'reference', '--spec', wide, '--input', wide, '--target', wide]);
    expect(probe.stderr).toMatch(/- width: .*parameters/);
    const exported = await runInProcess(['export', '--spec', wide, '--weights', wide, '--to', 'onnx', join(tmp, 'out')]);
    expect(exported.stderr).toMatch(/- width: .*parameters/);
    const deep = file('deep.json', { kind: 'residual', inputSize: 2, outputSize: 2, width: 2, depth: 1024, block: { layers: 64 } });
    const layers = await runInProcess(['probe', '--backend', 'reference', '--spec', deep, '--input', deep, '--target', deep]);
    expect(layers.stderr).toMatch(/- depth: the model would have 65,536 layers in sequence .*--max-layers/);
    const bad = await runInProcess(['train', '--spec', wide, '--task', 'spirals', '--backend', 'reference', '--max-params', '-3']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("option '--max-params <n>' argument '-3' is invalid");
  });

  it('train checks activations with the real batch and T: --max-activation-bytes refuses, then --max-params lets a big net through', async () => {
    const lstm = file('lstm.json', { kind: 'recurrent', cell: 'lstm', inputSize: 2, hiddenSize: 8, numLayers: 2, outputSize: 1 });
    const save = join(tmp, 'lstm.safetensors');
    const small = await runInProcess(['train', '--spec', lstm, '--task', 'adding:T=50', '--backend', 'reference', '--steps', '1', '--batch', '4', '--max-activation-bytes', '1e4', '--save', save]);
    expect(small.code).toBe(1);
    expect(small.stderr).toMatch(/- hiddenSize: .*activations .* 76\.6 KiB .*x T 50 x batch 4.*limit of 9\.77 KiB/);
    const dense = file('dense.json', { kind: 'residual', inputSize: 2, outputSize: 2, width: 64, depth: 2 });
    const refused = await runInProcess(['train', '--spec', dense, '--task', 'spirals', '--backend', 'reference', '--steps', '1', '--max-params', '1000', '--save', save]);
    expect(refused.stderr).toMatch(/- width: the model would have 8,642 parameters/);
    const allowed = await runInProcess(['train', '--spec', dense, '--task', 'spirals', '--backend', 'reference', '--steps', '1', '--max-params', '9000', '--save', save]);
    expect(allowed.stderr).toBe('');
    expect(allowed.code).toBe(0);
  });
});
