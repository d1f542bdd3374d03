import { describe, expect, it } from 'vitest';
import { planConv, runConvPlan, type ConvPrimitives } from './conv-plan.js';
import type { ConvResidualSpec } from './conv-spec.js';
import { paramShapes } from './params.js';
import { isConvResidual, parseModelSpec } from './spec.js';

function convSpec(json: Record<string, unknown>): ConvResidualSpec {
  const spec = parseModelSpec({ kind: 'residual', variant: 'conv', stem: 'cifar', inputChannels: 1, inputSize: [8, 8], outputSize: 10, ...json });
  if (!isConvResidual(spec)) throw new Error('expected a conv spec');
  return spec;
}

// Primitives on strings: the run spells out the network it builds.
const symbolic: ConvPrimitives<string> = {
  convBn: (x, u) => `${u.bn ?? '-'}(${u.conv}/${u.kernel}s${u.stride}p${u.pad}(${x}))`,
  relu: (x) => `relu(${x})`,
  add: (a, b) => `${a} + ${b}`,
  maxPool: (x) => `maxpool(${x})`,
  zeroPadShortcut: (x, s) => `zeropad[${s.before},${s.after}]s${s.stride}(${x})`,
  head: (x, name) => `${name}(avg(${x}))`,
};

describe('planConv + runConvPlan', () => {
  const stages = [{ channels: 4, blocks: 1, stride: 1 }, { channels: 8, blocks: 1, stride: 2 }];

  it("names every trainable torchvision parameter once; a zero-pad shortcut splits its zero channels as PyTorch's CIFAR ResNet does", () => {
    const spec = convSpec({ stages, shortcut: 'zeropad' });
    const plan = planConv(spec);
    const units = [plan.stem, ...plan.blocks.flatMap((b) => [b.conv1, b.conv2])];
    const named = [...units.flatMap((u) => [`${u.conv}.weight`, `${u.bn}.weight`, `${u.bn}.bias`]), 'fc.weight', 'fc.bias'];
    expect(named.sort()).toEqual(paramShapes(spec).filter((s) => s.trainable !== false).map((s) => s.name).sort());
    expect(plan.blocks.map((b) => b.shortcut)).toEqual([{ type: 'identity' }, { type: 'zeropad', stride: 2, before: 2, after: 2 }]);
  });

  it('runs stem, blocks (conv-bn-relu, conv-bn, shortcut add, relu) and head; a plain net and norm "none" drop what they drop', () => {
    const run = runConvPlan(planConv(convSpec({ stages, shortcut: 'projection' })), symbolic, 'x');
    const h0 = 'relu(bn1(conv1/3s1p1(x)))';
    const hidden = `relu(layer1.0.bn1(layer1.0.conv1/3s1p1(${h0})))`;
    expect(run.blockActivations[0]).toEqual([hidden, `relu(layer1.0.bn2(layer1.0.conv2/3s1p1(${hidden})) + ${h0})`]);
    expect(run.blockOutputs[1]).toContain(' + layer2.0.downsample.1(layer2.0.downsample.0/1s2p0(');
    expect(run.output).toBe(`fc(avg(${run.blockOutputs[1]}))`);
    const plain = runConvPlan(planConv(convSpec({ stages, skip: 'none', norm: 'none' })), symbolic, 'x');
    expect(plain.blockOutputs[0]).toBe('relu(-(layer1.0.conv2/3s1p1(relu(-(layer1.0.conv1/3s1p1(relu(-(conv1/3s1p1(x)))))))))');
  });

  it('the ImageNet stem is a 7×7 stride-2 conv and a max-pool; probes are added to the block outputs, not to what dead units read', () => {
    const run = runConvPlan(planConv(convSpec({ stages, stem: 'imagenet', inputSize: [32, 32] })), symbolic, 'x', ['p0', 'p1']);
    expect(run.blockActivations[0]![0]).toContain('(maxpool(relu(bn1(conv1/7s2p3(x)))))');
    expect(run.blockOutputs[0]).toBe(`${run.blockActivations[0]![1]} + p0`);
  });
});
