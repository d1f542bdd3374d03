import { convLayout, zeroPadChannels, type ConvBlockLayout, type ConvResidualSpec } from './conv-spec.js';

/** `nn.Conv2d(bias=False)` with PyTorch's symmetric zero padding, followed by its BatchNorm2d when the net has them. */
export interface ConvUnitPlan {
  /** Parameter prefix of the convolution (`conv1`, `layer1.0.conv2`, `layer2.0.downsample.0`). */
  readonly conv: string;
  /** Parameter prefix of its BatchNorm (`bn1`, `layer1.0.bn2`, `layer2.0.downsample.1`); absent with `norm: "none"`. */
  readonly bn?: string;
  readonly kernel: number;
  readonly stride: number;
  readonly pad: number;
  readonly inChannels: number;
  readonly outChannels: number;
}

/** How a BasicBlock's input reaches its add: not at all (plain net), as it is, by a 1×1 conv + BN, or subsampled and zero-padded. */
export type ConvShortcutPlan =
  | { readonly type: 'none' }
  | { readonly type: 'identity' }
  | { readonly type: 'projection'; readonly unit: ConvUnitPlan }
  /** He et al.'s option A: `x[:, :, ::stride, ::stride]` with `before` zero channels ahead of the old ones and `after` behind. */
  | { readonly type: 'zeropad'; readonly stride: number; readonly before: number; readonly after: number };

export interface ConvBlockPlan {
  /** torchvision's module prefix, `layer{s+1}.{b}`. */
  readonly name: string;
  readonly layout: ConvBlockLayout;
  readonly conv1: ConvUnitPlan;
  readonly conv2: ConvUnitPlan;
  readonly shortcut: ConvShortcutPlan;
}

/**
 * A conv spec (torchvision's ResNet with BasicBlocks) compiled once into what every backend builds: stem, optional
 * max-pool, blocks with their shortcuts, and the head (global average pool, `fc`). Backends interpret it with
 * `ConvPrimitives`; the block structure, where the probes go and what the dead-unit counts read are written once here.
 */
export interface ConvPlan {
  readonly stem: ConvUnitPlan;
  /** The ImageNet stem's `nn.MaxPool2d(3, 2, padding=1)` after the stem's ReLU. */
  readonly maxPool: boolean;
  readonly blocks: readonly ConvBlockPlan[];
  readonly head: string;
}

/** What a backend provides to run a conv plan on its own values `T`. `name` lets a model builder name its layers. */
export interface ConvPrimitives<T> {
  convBn(x: T, unit: ConvUnitPlan): T;
  /** `name`: `stem`, `{block}.conv1` (inside a block) or `{block}` (the block output). */
  relu(x: T, name: string): T;
  /** The block's residual add (`name`: the block), or a probe added to its output (`{block}.probe`). */
  add(a: T, b: T, name: string): T;
  maxPool(x: T): T;
  zeroPadShortcut(x: T, shortcut: Extract<ConvShortcutPlan, { type: 'zeropad' }>, block: ConvBlockPlan): T;
  /** Global average pool, then the `{head}` Linear: `[batch, outputSize]`. */
  head(x: T, name: string): T;
}

export interface ConvRun<T> {
  readonly output: T;
  /** Each BasicBlock's output (after its final ReLU, and after its probe when given). */
  readonly blockOutputs: readonly T[];
  /** Each BasicBlock's two ReLU outputs (after bn1, and the block output before any probe): what dead-unit counts read. */
  readonly blockActivations: readonly (readonly [T, T])[];
}

export function planConv(spec: ConvResidualSpec): ConvPlan {
  const bn = (name: string): { bn?: string } => (spec.norm === 'batch' ? { bn: name } : {});
  const imagenet = spec.stem === 'imagenet';
  const stem: ConvUnitPlan = { conv: 'conv1', ...bn('bn1'), kernel: imagenet ? 7 : 3, stride: imagenet ? 2 : 1, pad: imagenet ? 3 : 1, inChannels: spec.inputChannels, outChannels: spec.stages[0]!.channels };
  const blocks = convLayout(spec).blocks.map((b): ConvBlockPlan => {
    const unit = (conv: string, norm: string, kernel: number, stride: number, inChannels: number): ConvUnitPlan => ({
      conv: `${b.name}.${conv}`,
      ...bn(`${b.name}.${norm}`),
      kernel,
      stride,
      pad: (kernel - 1) / 2,
      inChannels,
      outChannels: b.outChannels,
    });
    let shortcut: ConvShortcutPlan = { type: spec.skip === 'none' ? 'none' : 'identity' };
    if (spec.skip === 'identity' && b.downsample) {
      shortcut =
        spec.shortcut === 'projection'
          ? { type: 'projection', unit: unit('downsample.0', 'downsample.1', 1, b.stride, b.inChannels) }
          : { type: 'zeropad', stride: b.stride, ...zeroPadChannels(b.inChannels, b.outChannels) };
    }
    return { name: b.name, layout: b, conv1: unit('conv1', 'bn1', 3, b.stride, b.inChannels), conv2: unit('conv2', 'bn2', 3, 1, b.outChannels), shortcut };
  });
  return { stem, maxPool: imagenet, blocks, head: 'fc' };
}

/** Runs a conv plan with a backend's primitives; with `probes` (one zero value per block) each block output is `relu(...) + probe`. */
export function runConvPlan<T>(plan: ConvPlan, ops: ConvPrimitives<T>, x: T, probes?: readonly T[]): ConvRun<T> {
  let h = ops.relu(ops.convBn(x, plan.stem), 'stem');
  if (plan.maxPool) h = ops.maxPool(h);
  const blockOutputs: T[] = [];
  const blockActivations: [T, T][] = [];
  plan.blocks.forEach((b, i) => {
    const hidden = ops.relu(ops.convBn(h, b.conv1), `${b.name}.conv1`);
    const f = ops.convBn(hidden, b.conv2);
    const s = b.shortcut;
    const sum = s.type === 'none' ? f : ops.add(f, s.type === 'identity' ? h : s.type === 'projection' ? ops.convBn(h, s.unit) : ops.zeroPadShortcut(h, s, b), b.name);
    const out = ops.relu(sum, b.name);
    blockActivations.push([hidden, out]);
    const probe = probes?.[i];
    h = probe === undefined ? out : ops.add(out, probe, `${b.name}.probe`);
    blockOutputs.push(h);
  });
  return { output: ops.head(h, plan.head), blockOutputs, blockActivations };
}
