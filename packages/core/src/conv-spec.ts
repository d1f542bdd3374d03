import { z } from 'zod';
import { ShapeError, type Issue } from './errors.js';
import { formatShape, sizeOf, type Tensor } from './tensor.js';

const size = z.number().int().min(1).max(65_536);

export const convStems = ['cifar', 'imagenet'] as const;
/** `cifar`: conv 3×3 stride 1 pad 1; `imagenet`: conv 7×7 stride 2 pad 3, then max-pool 3×3 stride 2 pad 1. */
export type ConvStem = (typeof convStems)[number];

export const convShortcuts = ['projection', 'zeropad'] as const;
/**
 * The shortcut of a block whose stride or channel count changes: `projection` is 1×1 conv (stride s) + BatchNorm
 * (torchvision's `downsample`); `zeropad` is He et al.'s parameter-free option A: `x[:, :, ::s, ::s]` with the new
 * channels filled with zeros, split evenly before and after the old ones (see `zeroPadChannels`). Blocks that keep
 * shape always use the identity.
 */
export type ConvShortcut = (typeof convShortcuts)[number];

/**
 * How many zero channels the `zeropad` shortcut puts before and after the `inChannels` old ones: half each, as the
 * widely used PyTorch CIFAR ResNet does (`F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, planes // 4, planes // 4))`), so its
 * weights load and give the same outputs; an odd count puts the extra channel after.
 */
export function zeroPadChannels(inChannels: number, outChannels: number): { readonly before: number; readonly after: number } {
  const extra = outChannels - inChannels;
  const before = Math.floor(extra / 2);
  return { before, after: extra - before };
}

export const batchNormModes = ['train', 'eval'] as const;
/**
 * How BatchNorm behaves, as PyTorch's `module.train()` / `module.eval()`: `train` normalizes with the batch
 * statistics (biased variance) and training steps update the running statistics; `eval` uses the running statistics.
 */
export type BatchNormMode = (typeof batchNormModes)[number];

export const convPresets = ['resnet20', 'resnet32', 'resnet56', 'resnet18', 'resnet34'] as const;
export type ConvPreset = (typeof convPresets)[number];

const stageSchema = z.strictObject({
  blocks: z.number().int().min(1).max(256),
  channels: size,
  stride: z.number().int().min(1).max(8).default(1),
});

export const convResidualSpecSchema = z.strictObject({
  specVersion: z.literal(1).default(1),
  kind: z.literal('residual'),
  variant: z.literal('conv'),
  inputChannels: size,
  /** `[H, W]`, or one number for a square image. */
  inputSize: z
    .union([size, z.tuple([size, size])], {
      error: (iss) => (iss.input === undefined ? 'required [H, W] (or one number) is missing' : `expected an integer 1..65536 or [H, W] of them, got ${JSON.stringify(iss.input)}`),
    })
    .transform((v): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]])),
  outputSize: size,
  stem: z.enum(convStems),
  stages: z.array(stageSchema).min(1).max(16),
  shortcut: z.enum(convShortcuts).default('projection'),
  skip: z.enum(['identity', 'none']).default('identity'),
  norm: z.enum(['batch', 'none']).default('batch'),
});

/**
 * Convolutional residual network on NCHW input, torchvision's ResNet with BasicBlocks: stem (conv-BN-ReLU, plus
 * max-pool for `imagenet`) with `stages[0].channels` channels; per stage `blocks` BasicBlocks
 * `relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))` (the first one with the stage's stride); global average pool;
 * Linear head. `skip: "none"` drops the shortcut (the plain network), `norm: "none"` drops every BatchNorm.
 * Convolutions have no bias, as in torchvision.
 */
export type ConvResidualSpec = z.output<typeof convResidualSpecSchema>;
export type ConvResidualSpecInput = z.input<typeof convResidualSpecSchema>;

const cifar = (n: number) => ({
  inputChannels: 3, inputSize: 32, outputSize: 10, stem: 'cifar', shortcut: 'zeropad',
  stages: [{ blocks: n, channels: 16, stride: 1 }, { blocks: n, channels: 32, stride: 2 }, { blocks: n, channels: 64, stride: 2 }],
});
const imagenet = (blocks: readonly number[]) => ({
  inputChannels: 3, inputSize: 224, outputSize: 1000, stem: 'imagenet', shortcut: 'projection',
  stages: [64, 128, 256, 512].map((channels, i) => ({ blocks: blocks[i]!, channels, stride: i === 0 ? 1 : 2 })),
});

/** What each preset fills in; fields given beside `preset` override these. */
export const convPresetFields: Readonly<Record<ConvPreset, Record<string, unknown>>> = {
  resnet20: cifar(3),
  resnet32: cifar(5),
  resnet56: cifar(9),
  resnet18: imagenet([2, 2, 2, 2]),
  resnet34: imagenet([3, 4, 6, 3]),
};

/** `{ preset, ...overrides }` -> the full JSON the schema checks (without `preset`), or an issue for an unknown name. */
export function expandPreset(json: Record<string, unknown>): { json: Record<string, unknown>; issues: Issue[] } {
  if (!Object.hasOwn(json, 'preset')) return { json, issues: [] };
  const { preset, ...rest } = json;
  if (typeof preset !== 'string' || !(convPresets as readonly string[]).includes(preset)) {
    return { json: rest, issues: [{ path: 'preset', message: `expected one of ${convPresets.join('|')}, got ${JSON.stringify(preset) ?? 'nothing'}` }] };
  }
  return { json: { ...convPresetFields[preset as ConvPreset], ...rest }, issues: [] };
}

/** Output side of a k×k convolution or pool with this stride and padding (PyTorch's floor rule). */
export function convOutSize(n: number, kernel: number, stride: number, pad: number): number {
  return Math.floor((n + 2 * pad - kernel) / stride) + 1;
}

/** Spatial size after the stem. */
export function stemOutSize(spec: Pick<ConvResidualSpec, 'stem'>, n: number): number {
  return spec.stem === 'cifar' ? convOutSize(n, 3, 1, 1) : convOutSize(convOutSize(n, 7, 2, 3), 3, 2, 1);
}

/** One BasicBlock in network order: where it sits, its channels and stride, and whether its shortcut changes shape. */
export interface ConvBlockLayout {
  /** torchvision's module prefix, `layer{s+1}.{b}`. */
  readonly name: string;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly stride: number;
  /** Input `[H, W]` of the block. */
  readonly inSize: readonly [number, number];
  readonly outSize: readonly [number, number];
  /** True when stride or channels change, so the shortcut is a projection or zero padding rather than the identity. */
  readonly downsample: boolean;
}

/** The blocks of a conv spec with their shapes, the stem's output `[H, W]`, and the channels before the head. */
export function convLayout(spec: ConvResidualSpec): { stemSize: [number, number]; blocks: ConvBlockLayout[]; channels: number } {
  const stemSize: [number, number] = [stemOutSize(spec, spec.inputSize[0]), stemOutSize(spec, spec.inputSize[1])];
  const blocks: ConvBlockLayout[] = [];
  let channels = spec.stages[0]!.channels;
  let hw: [number, number] = stemSize;
  spec.stages.forEach((stage, s) => {
    for (let b = 0; b < stage.blocks; b++) {
      const stride = b === 0 ? stage.stride : 1;
      const out: [number, number] = [convOutSize(hw[0], 3, stride, 1), convOutSize(hw[1], 3, stride, 1)];
      blocks.push({ name: `layer${s + 1}.${b}`, inChannels: channels, outChannels: stage.channels, stride, inSize: hw, outSize: out, downsample: stride !== 1 || channels !== stage.channels });
      channels = stage.channels;
      hw = out;
    }
  });
  return { stemSize, blocks, channels };
}

/** A problem a schema cannot see: a zero-pad shortcut cannot drop channels. */
export function convSpecIssues(spec: ConvResidualSpec): Issue[] {
  const issues: Issue[] = [];
  if (spec.shortcut !== 'zeropad' || spec.skip !== 'identity') return issues;
  spec.stages.forEach((stage, s) => {
    const inChannels = spec.stages[Math.max(0, s - 1)]!.channels;
    if (stage.channels < inChannels) {
      issues.push({ path: `stages[${s}].channels`, message: `the zeropad shortcut cannot reduce channels (${inChannels} -> ${stage.channels}); use shortcut "projection"` });
    }
  });
  return issues;
}

/** Checks an NCHW input `[batch, inputChannels, H, W]` against a conv spec; returns the batch size. */
export function checkConvInput(spec: ConvResidualSpec, input: Pick<Tensor, 'shape'> & { readonly data: ArrayLike<number> }, name = 'input'): number {
  const want = [spec.inputChannels, ...spec.inputSize];
  const shape = input.shape;
  const ok = shape.length === 4 && Number.isInteger(shape[0]) && shape[0]! >= 1 && want.every((d, i) => shape[i + 1] === d);
  if (!ok) throw new ShapeError(`${name}: expected shape [batch, ${want.join(', ')}] (NCHW), got ${formatShape(shape)}`);
  if (input.data.length !== sizeOf(shape)) throw new ShapeError(`${name}: shape ${formatShape(shape)} needs ${sizeOf(shape)} values, got ${input.data.length}`);
  return shape[0]!;
}
