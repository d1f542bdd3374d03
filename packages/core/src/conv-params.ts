import { convLayout, type ConvResidualSpec } from './conv-spec.js';

/**
 * One `state_dict` entry of a conv spec. BatchNorm's `running_mean` / `running_var` are float32 buffers that travel
 * with the parameters (`trainable: false`: no gradient, no optimizer update; training-mode forwards update them);
 * `num_batches_tracked` is an int64 scalar (`dtype: "I64"`), kept outside the float32 `ParamSet`.
 */
export interface StateDictEntry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: 'F32' | 'I64';
  readonly trainable: boolean;
}

/** torchvision's ResNet `state_dict` names, shapes and order for a conv spec. */
export function convStateDict(spec: ConvResidualSpec): StateDictEntry[] {
  const out: StateDictEntry[] = [];
  const norm = spec.norm === 'batch';
  const conv = (name: string, outC: number, inC: number, k: number): void => {
    out.push({ name: `${name}.weight`, shape: [outC, inC, k, k], dtype: 'F32', trainable: true });
  };
  const bn = (name: string, c: number): void => {
    if (!norm) return;
    out.push(
      { name: `${name}.weight`, shape: [c], dtype: 'F32', trainable: true },
      { name: `${name}.bias`, shape: [c], dtype: 'F32', trainable: true },
      { name: `${name}.running_mean`, shape: [c], dtype: 'F32', trainable: false },
      { name: `${name}.running_var`, shape: [c], dtype: 'F32', trainable: false },
      { name: `${name}.num_batches_tracked`, shape: [], dtype: 'I64', trainable: false },
    );
  };
  const { blocks, channels } = convLayout(spec);
  const c0 = spec.stages[0]!.channels;
  conv('conv1', c0, spec.inputChannels, spec.stem === 'cifar' ? 3 : 7);
  bn('bn1', c0);
  for (const b of blocks) {
    conv(`${b.name}.conv1`, b.outChannels, b.inChannels, 3);
    bn(`${b.name}.bn1`, b.outChannels);
    conv(`${b.name}.conv2`, b.outChannels, b.outChannels, 3);
    bn(`${b.name}.bn2`, b.outChannels);
    if (b.downsample && spec.skip === 'identity' && spec.shortcut === 'projection') {
      conv(`${b.name}.downsample.0`, b.outChannels, b.inChannels, 1);
      bn(`${b.name}.downsample.1`, b.outChannels);
    }
  }
  out.push(
    { name: 'fc.weight', shape: [spec.outputSize, channels], dtype: 'F32', trainable: true },
    { name: 'fc.bias', shape: [spec.outputSize], dtype: 'F32', trainable: true },
  );
  return out;
}

/** Names of the BatchNorm layers (`bn1`, `layer1.0.bn2`, `layer2.0.downsample.1`, ...) in `state_dict` order. */
export function batchNormNames(spec: ConvResidualSpec): string[] {
  return convStateDict(spec).filter((e) => e.dtype === 'I64').map((e) => e.name.slice(0, -'.num_batches_tracked'.length));
}
