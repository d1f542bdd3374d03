import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { batchNormNames, convStateDict } from './conv-params.js';
import { ParamError, SpecError } from './errors.js';
import { initParams } from './init.js';
import { paramCount, paramShapes, validateParams } from './params.js';
import { loadParams } from './params-io.js';
import { readSafetensorsParams } from './safetensors.js';
import type { ConvResidualSpec } from './conv-spec.js';
import { isConvResidual, parseModelSpec } from './spec.js';

/** A conv spec from JSON (the tests only build conv specs). */
function convSpec(json: unknown): ConvResidualSpec {
  const spec = parseModelSpec(json);
  if (!isConvResidual(spec)) throw new Error('expected a conv spec');
  return spec;
}

const fixture = (name: string): URL => new URL(`./__fixtures__/${name}`, import.meta.url);

interface ManifestEntry { name: string; dtype: 'F32' | 'I64'; shape: number[] }
const manifest = JSON.parse(readFileSync(fixture('torchvision-resnet18.manifest.json'), 'utf8')) as { entries: ManifestEntry[] };
const resnet18 = convSpec({ kind: 'residual', variant: 'conv', preset: 'resnet18', inputChannels: 3, outputSize: 1000 });

describe('conv parameters with torchvision ResNet names', () => {
  it("reproduce torchvision resnet18's state_dict exactly: names, order, shapes and int64 counters", () => {
    expect(convStateDict(resnet18).map(({ name, dtype, shape }) => ({ name, dtype, shape }))).toEqual(manifest.entries);
    const floats = manifest.entries.filter((e) => e.dtype === 'F32');
    expect(paramShapes(resnet18).map(({ name, shape }) => ({ name, shape }))).toEqual(floats.map(({ name, shape }) => ({ name, shape })));
    expect(paramCount(resnet18)).toBe(11_689_512); // torchvision's documented parameter count for resnet18
  });

  it('mark the BatchNorm running statistics as not trainable', () => {
    const buffers = paramShapes(resnet18).filter((p) => p.trainable === false).map((p) => p.name);
    expect(buffers).toHaveLength(2 * 20);
    expect(buffers.every((n) => /\.running_(mean|var)$/.test(n))).toBe(true);
    expect(batchNormNames(resnet18).slice(0, 3)).toEqual(['bn1', 'layer1.0.bn1', 'layer1.0.bn2']);
  });

  it('drop BatchNorm and shortcut tensors when the spec has none', () => {
    const plain = convSpec({ kind: 'residual', variant: 'conv', preset: 'resnet20', norm: 'none', skip: 'none' });
    const names = paramShapes(plain).map((p) => p.name);
    expect(names).toHaveLength(1 + 9 * 2 + 2);
    expect(names.filter((n) => n.includes('bn') || n.includes('downsample'))).toEqual([]);
    const zeropad = convSpec({ kind: 'residual', variant: 'conv', preset: 'resnet20' });
    expect(paramShapes(zeropad).some((p) => p.name.includes('downsample'))).toBe(false);
    expect(paramCount(zeropad)).toBe(269_722); // sum(p.numel() for p in parameters()) of tools/torch/conv_resnet.py's ResNet-20 (He et al.: 0.27M)
  });

  it('load a torch state_dict saved as safetensors, int64 num_batches_tracked included', () => {
    const { spec: json, stateDict } = JSON.parse(readFileSync(fixture('conv-tiny.json'), 'utf8')) as { spec: unknown; stateDict: Record<string, { shape: number[]; data: number[] }> };
    const spec = convSpec(json);
    const bytes = new Uint8Array(readFileSync(fixture('conv-tiny.safetensors')));
    const params = loadParams(spec, bytes, { format: 'safetensors', source: 'conv-tiny.safetensors' });
    expect(Object.keys(params)).toEqual(paramShapes(spec).map((p) => p.name));
    for (const [name, t] of Object.entries(params)) expect(Array.from(t.data)).toEqual(stateDict[name]!.data.map(Math.fround));
    expect(params['layer2.0.downsample.1.running_var']!.data.some((v) => v !== 1)).toBe(true);
    const { buffers } = readSafetensorsParams(bytes);
    expect(Object.keys(buffers)).toEqual(batchNormNames(spec).map((n) => `${n}.num_batches_tracked`));
    expect(Object.values(buffers).map((b) => b.values)).toEqual(batchNormNames(spec).map(() => [2n]));
  });

  it('name every missing running statistic when a file lacks them', () => {
    const spec = convSpec({ kind: 'residual', variant: 'conv', inputChannels: 1, inputSize: 4, outputSize: 2, stem: 'cifar', stages: [{ blocks: 1, channels: 2 }] });
    const params = initParams(spec, { seed: 1 });
    delete params['bn1.running_var'];
    expect(() => validateParams(spec, params)).toThrow(ParamError);
    expect(() => validateParams(spec, params)).toThrow('missing: bn1.running_var');
  });
});

describe('initParams for conv specs (torchvision ResNet initialization)', () => {
  const spec = convSpec({ kind: 'residual', variant: 'conv', preset: 'resnet20', inputChannels: 1 });

  it('draws conv weights N(0, 2/fan_out), sets BatchNorm to identity statistics and fc to U(±1/√64)', () => {
    const p = initParams(spec, { seed: 3 });
    const w = p['layer1.0.conv1.weight']!.data; // 16·16·9 values, fan_out 16·9
    const mean = w.reduce((a, b) => a + b, 0) / w.length;
    const std = Math.sqrt(w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length);
    expect(Math.abs(std / Math.sqrt(2 / 144) - 1)).toBeLessThan(0.05);
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(new Set(p['bn1.weight']!.data)).toEqual(new Set([1]));
    expect(new Set(p['bn1.bias']!.data)).toEqual(new Set([0]));
    expect(new Set(p['layer3.2.bn2.running_mean']!.data)).toEqual(new Set([0]));
    expect(new Set(p['layer3.2.bn2.running_var']!.data)).toEqual(new Set([1]));
    const fc = [...p['fc.weight']!.data, ...p['fc.bias']!.data];
    expect(Math.max(...fc.map(Math.abs))).toBeLessThanOrEqual(1 / 8);
    expect(Math.max(...fc.map(Math.abs))).toBeGreaterThan(0.1);
    expect(initParams(spec, { seed: 3 })).toEqual(p);
    expect(initParams(spec, { seed: 4 })['conv1.weight']).not.toEqual(p['conv1.weight']);
  });

  it('refuses the dense-net schemes', () => {
    expect(() => initParams(spec, { seed: 1, scheme: 'xavier' })).toThrow(SpecError);
    expect(() => initParams(spec, { seed: 1, scheme: 'xavier' })).toThrow('scheme: a conv spec is initialized as torchvision\'s ResNet ("pytorch"), got "xavier"');
  });
});
