import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { initParams, parseModelSpec, parseSpec, relativeError, saveParams, type Model } from '@gradscope/core';
import { createReferenceBackend } from '@gradscope/testkit';
import { importAdapterExport } from './backends.js';

const appDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(appDir, 'dist', 'cli.js');
const tmp = mkdtempSync(join(tmpdir(), 'gradscope-export-'));
const specFile = join(appDir, 'examples', 'lstm.json');
const spec = parseSpec(JSON.parse(readFileSync(specFile, 'utf8')));
const params = initParams(spec, { seed: 3 });
const weights = join(tmp, 'w.safetensors');
writeFileSync(weights, saveParams(params, 'safetensors'));
const input = { shape: [2, 8, 2], data: Float32Array.from({ length: 32 }, (_, i) => Math.sin(i)) };

async function referenceOutput(): Promise<Float32Array> {
  const backend = createReferenceBackend();
  const model = await backend.createModel(spec, params);
  const out = await model.forward(input);
  await backend.dispose();
  return out.data;
}

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  return runWithin(60_000, ...args);
}

function runWithin(timeout: number, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, 'export', ...args], { encoding: 'utf8', timeout });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const onnxExport = await importAdapterExport('onnx', '@gradscope/onnx', 'exportOnnx').then(
  () => true,
  () => false,
);

describe('gradscope export', () => {
  it('writes a TensorFlow.js LayersModel that plain tfjs loads and that computes what the reference computes', async () => {
    const out = join(tmp, 'tfjs');
    const r = run('--spec', specFile, '--weights', weights, '--to', 'tfjs', out);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`wrote ${join(out, 'model.json')}\nwrote ${join(out, 'weights.bin')}\n`);
    const json = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')) as { modelTopology: object; weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[] };
    const bin = readFileSync(join(out, 'weights.bin'));
    const model = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest.flatMap((g) => g.weights), weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) }),
    );
    const y = model.predict(tf.tensor(input.data, input.shape)) as tf.Tensor;
    const got = await y.data();
    tf.dispose([y]);
    model.dispose();
    expect(relativeError(got, await referenceOutput())).toBeLessThan(1e-5);
  });

  const onnxTitle = 'writes an ONNX model that onnxruntime runs to the reference output';
  it.skipIf(!onnxExport)(onnxExport ? onnxTitle : `${onnxTitle} (skipped: @gradscope/onnx exports no exportOnnx on this branch)`, async () => {
    const out = join(tmp, 'onnx');
    const r = run('--spec', specFile, '--weights', weights, '--to', 'onnx', out);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const session = await ort.InferenceSession.create(readFileSync(join(out, 'model.onnx')));
    const result = await session.run({ input: new ort.Tensor('float32', input.data, [...input.shape]) });
    const got = result['output']!.data as Float32Array;
    await session.release();
    expect(relativeError(got, await referenceOutput())).toBeLessThan(1e-5);
  });

  const convTitle = 'exports a conv spec (a ResNet with BatchNorm) as ONNX that computes what the reference computes in eval mode';
  it.skipIf(!onnxExport)(onnxExport ? convTitle : `${convTitle} (skipped: @gradscope/onnx exports no exportOnnx on this branch)`, async () => {
    const convFile = join(appDir, 'examples', 'conv-small.json');
    const conv = parseModelSpec(JSON.parse(readFileSync(convFile, 'utf8')));
    const convParams = initParams(conv, { seed: 4 });
    convParams['layer2.0.bn1.running_var']!.data.fill(2.5); // running statistics that eval mode must use
    const convWeights = join(tmp, 'conv.safetensors');
    writeFileSync(convWeights, saveParams(convParams, 'safetensors'));
    const out = join(tmp, 'conv-onnx');
    const r = run('--spec', convFile, '--weights', convWeights, '--to', 'onnx', out);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const images = { shape: [2, 1, 8, 8], data: Float32Array.from({ length: 128 }, (_, i) => Math.cos(0.3 * i)) };
    const session = await ort.InferenceSession.create(readFileSync(join(out, 'model.onnx')));
    const result = await session.run({ input: new ort.Tensor('float32', images.data, images.shape) });
    const got = result['output']!.data as Float32Array;
    await session.release();
    const backend = createReferenceBackend();
    const model: Model = await backend.createModel(conv, convParams);
    model.setBatchNormMode?.('eval');
    const want = await model.forward(images);
    await backend.dispose();
    expect(relativeError(got, want.data)).toBeLessThan(1e-5);
  });

  it('names a weights file that does not fit the spec, and an output folder it cannot create', () => {
    const wrong = join(tmp, 'wrong.json');
    writeFileSync(wrong, saveParams(initParams(parseSpec({ kind: 'recurrent', cell: 'gru', inputSize: 2, hiddenSize: 6, outputSize: 1 }), { seed: 0 }), 'json'));
    const mismatch = run('--spec', specFile, '--weights', wrong, '--to', 'tfjs', join(tmp, 'never'));
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toContain('missing: lstm.weight_ih_l0');
    expect(mismatch.stderr).toContain('unexpected: gru.weight_ih_l0');
    const file = join(tmp, 'plain-file');
    writeFileSync(file, '');
    const blocked = run('--spec', specFile, '--weights', weights, '--to', 'tfjs', join(file, 'out'));
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toBe(`gradscope: error: cannot use ${join(file, 'out')} as a folder: ${file} is a regular file\n`);
  });

  it.runIf(existsSync('/proc/self'))('an output folder under /proc is refused at once (was a 100% CPU hang in mkdir -p)', () => {
    for (const to of ['onnx', 'tfjs']) {
      const r = runWithin(15_000, '--spec', specFile, '--weights', weights, '--to', to, '/proc/gradscope-x');
      expect(r.code).toBe(1);
      expect(r.stderr).toBe('gradscope: error: cannot create folder /proc/gradscope-x: no such file or directory (ENOENT); the file system of /proc does not take new folders\n');
    }
  });

  it('refuses a symbolic link planted as model.onnx and leaves its target alone', () => {
    const out = join(tmp, 'linked-out');
    mkdirSync(out);
    const victim = join(tmp, 'victim.txt');
    writeFileSync(victim, 'precious');
    symlinkSync(victim, join(out, 'model.onnx'));
    const r = run('--spec', specFile, '--weights', weights, '--to', 'onnx', out);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`gradscope: error: refusing to write ${join(out, 'model.onnx')}: it is a symbolic link (give the path of the file itself)\n`);
    expect(readFileSync(victim, 'utf8')).toBe('precious');
    expect(readlinkSync(join(out, 'model.onnx'))).toBe(victim);
  });
});
