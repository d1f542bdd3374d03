import { describe, expect, it } from 'vitest';
import { SpecError } from './errors.js';
import { describeSpec, parseModelSpec, parseSpec } from './spec.js';

function issuesOf(json: unknown): string[] {
  try {
    parseSpec(json);
  } catch (e) {
    expect(e).toBeInstanceOf(SpecError);
    return (e as SpecError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('expected a SpecError');
}

describe('parseSpec', () => {
  it('fills the defaults of a residual spec', () => {
    const spec = parseSpec({ kind: 'residual', inputSize: 5, outputSize: 3, width: 12, depth: 6 });
    expect(spec).toEqual({
      specVersion: 1, kind: 'residual', variant: 'dense', inputSize: 5, outputSize: 3, width: 12, depth: 6,
      block: { layers: 1, activation: 'relu', skip: 'identity' },
    });
  });

  it('accepts the recurrent example of DESIGN.md', () => {
    const spec = parseSpec({ kind: 'recurrent', cell: 'lstm', inputSize: 3, hiddenSize: 7, numLayers: 2, outputSize: 2 });
    expect(spec).toMatchObject({ specVersion: 1, cell: 'lstm', numLayers: 2 });
  });

  it('names the path and the allowed values of a misspelt activation', () => {
    const issues = issuesOf({ kind: 'residual', inputSize: 5, outputSize: 3, width: 12, depth: 6, block: { activation: 'rleu' } });
    expect(issues).toEqual(['block.activation: expected one of relu|tanh|sigmoid|leakyRelu|gelu|linear, got "rleu"']);
  });

  it('lists every problem at once, unknown fields included', () => {
    const issues = issuesOf({ kind: 'recurrent', cell: 'lstn', inputSize: 0, hiddenSize: 'x', outputSize: 2, extra: 1 });
    expect(issues).toEqual(
      expect.arrayContaining([
        'cell: expected one of lstm|gru|rnn, got "lstn"',
        'inputSize: must be >= 1, got 0',
        'hiddenSize: expected number, got "x"',
        'extra: unknown field',
      ]),
    );
    expect(issues).toHaveLength(4);
  });

  it('rejects an unknown kind, a wrong specVersion and a missing field', () => {
    expect(issuesOf({ kind: 'transformer' })).toEqual(['kind: expected one of residual|recurrent, got "transformer"']);
    expect(issuesOf({ specVersion: 2, kind: 'recurrent', cell: 'gru', inputSize: 1, hiddenSize: 2 })).toEqual([
      'specVersion: expected one of 1, got 2',
      'outputSize: required number is missing',
    ]);
  });

  it('points a convolutional spec to parseModelSpec, so NetworkSpec code never receives one', () => {
    expect(issuesOf({ kind: 'residual', variant: 'conv', preset: 'resnet20' })).toEqual([
      'variant: a convolutional spec ("conv") is a ModelSpec: parse it with parseModelSpec and run it on a backend that supports residual variant "conv"',
    ]);
  });
});

function modelIssuesOf(json: unknown): string[] {
  try {
    parseModelSpec(json);
  } catch (e) {
    expect(e).toBeInstanceOf(SpecError);
    return (e as SpecError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('expected a SpecError');
}

describe('parseModelSpec (convolutional residual nets)', () => {
  it('fills the defaults of a conv spec and turns a square inputSize into [H, W]', () => {
    const spec = parseModelSpec({ kind: 'residual', variant: 'conv', inputChannels: 1, inputSize: 8, outputSize: 10, stem: 'cifar', stages: [{ blocks: 1, channels: 4 }] });
    expect(spec).toEqual({
      specVersion: 1, kind: 'residual', variant: 'conv', inputChannels: 1, inputSize: [8, 8], outputSize: 10, stem: 'cifar',
      stages: [{ blocks: 1, channels: 4, stride: 1 }], shortcut: 'projection', skip: 'identity', norm: 'batch',
    });
    expect(describeSpec(spec)).toBe('conv residual 1 blocks 4 cifar projection');
  });

  it('expands presets: ResNet-20 (CIFAR layout, zero-pad) and ResNet-18 (ImageNet layout, projection)', () => {
    const r20 = parseModelSpec({ kind: 'residual', variant: 'conv', preset: 'resnet20', inputChannels: 1, inputSize: [28, 28] });
    expect(r20).toMatchObject({ inputChannels: 1, inputSize: [28, 28], outputSize: 10, stem: 'cifar', shortcut: 'zeropad', skip: 'identity', norm: 'batch' });
    expect(r20.kind === 'residual' && r20.variant === 'conv' && r20.stages).toEqual([
      { blocks: 3, channels: 16, stride: 1 }, { blocks: 3, channels: 32, stride: 2 }, { blocks: 3, channels: 64, stride: 2 },
    ]);
    const r18 = parseModelSpec({ kind: 'residual', variant: 'conv', preset: 'resnet18' });
    expect(r18).toMatchObject({ inputChannels: 3, inputSize: [224, 224], outputSize: 1000, stem: 'imagenet', shortcut: 'projection' });
    expect(describeSpec(r18)).toBe('conv residual 8 blocks 64-128-256-512 imagenet projection');
    const r34 = parseModelSpec({ kind: 'residual', variant: 'conv', preset: 'resnet34', skip: 'none' });
    expect(describeSpec(r34)).toBe('conv plain 16 blocks 64-128-256-512 imagenet');
    const r56 = parseModelSpec({ kind: 'residual', variant: 'conv', preset: 'resnet56' });
    expect(describeSpec(r56)).toBe('conv residual 27 blocks 16-32-64 cifar zeropad');
  });

  it('names the JSON path of every problem, unknown presets and fields included', () => {
    expect(modelIssuesOf({ kind: 'residual', variant: 'conv', preset: 'resnet19', inputChannels: 0, stem: 'mnist', stages: [{ blocks: 1, channels: 4, stride: 0 }], width: 3 })).toEqual([
      'preset: expected one of resnet20|resnet32|resnet56|resnet18|resnet34, got "resnet19"',
      'inputChannels: must be >= 1, got 0',
      'inputSize: required [H, W] (or one number) is missing',
      'outputSize: required number is missing',
      'stem: expected one of cifar|imagenet, got "mnist"',
      'stages[0].stride: must be >= 1, got 0',
      'width: unknown field',
    ]);
    expect(modelIssuesOf({ kind: 'residual', variant: 'conv', preset: 'resnet20', inputSize: [8, 0] })).toEqual(['inputSize[1]: must be >= 1, got 0']);
    expect(modelIssuesOf({ kind: 'residual', variant: 'cnn', inputSize: 5, outputSize: 3, width: 12, depth: 6 })).toEqual(['variant: expected one of dense|conv, got "cnn"']);
  });

  it('refuses a zero-pad shortcut that would drop channels', () => {
    expect(modelIssuesOf({ kind: 'residual', variant: 'conv', inputChannels: 3, inputSize: 8, outputSize: 2, stem: 'cifar', shortcut: 'zeropad', stages: [{ blocks: 1, channels: 8 }, { blocks: 1, channels: 4, stride: 2 }] })).toEqual([
      'stages[1].channels: the zeropad shortcut cannot reduce channels (8 -> 4); use shortcut "projection"',
    ]);
  });
});
