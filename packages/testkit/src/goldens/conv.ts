import { parseModelSpec, parseTrainingConfig, validateParams, WeightsFormatError, type Batch, type ConvResidualSpec, type LossName, type ParamSet, type TrainingConfig } from '@gradscope/core';
import { float32Tensor, float64Tensor, mapTensors, readFixture, type RawTensor } from './load.js';
import type { Float64Tensor } from './types.js';

/** What PyTorch computed for one conv net, batch, loss and BatchNorm mode, in float64. */
export interface ConvGoldenExpectation {
  readonly output: Float64Tensor;
  readonly loss: number;
  /** Gradients of the trainable tensors (not of the running statistics), PyTorch names. */
  readonly grads: Readonly<Record<string, Float64Tensor>>;
  /** ||dL/d(block output)|| per BasicBlock, in network order. */
  readonly blockOutputGradNorms: number[];
  /** BN train mode only: `running_mean` / `running_var` after the forward (momentum 0.1, unbiased variance). */
  readonly runningStats?: Readonly<Record<string, Float64Tensor>>;
}

/** One conv golden case (`conv-residual.json`): float32-representable weights and running statistics, an NCHW batch. */
export interface ConvGoldenCase {
  /** e.g. `residual cifar zeropad norm batch BN eval · mse`. */
  readonly id: string;
  readonly spec: ConvResidualSpec;
  readonly seed: number;
  /** PyTorch's `module.train()` or `module.eval()` while computing the expectation. */
  readonly mode: 'train' | 'eval';
  /** Every tensor of `paramShapes(spec)`, running statistics included. */
  readonly params: ParamSet;
  readonly batch: Batch;
  readonly loss: LossName;
  readonly expected: ConvGoldenExpectation;
}

interface RawConvCase {
  id: string;
  seed: number;
  spec: unknown;
  mode: 'train' | 'eval';
  params: Record<string, RawTensor>;
  input: RawTensor;
  output: RawTensor;
  losses: { loss: LossName; target: RawTensor; value: number; grads: Record<string, RawTensor>; blockOutputGradNorms: number[]; runningStats?: Record<string, RawTensor> }[];
}

/** One optimizer step of a conv trajectory: what PyTorch reported and every tensor (running statistics too) after it. */
export interface ConvGoldenStep {
  readonly step: number;
  readonly lr: number;
  /** Loss of the batch before this step's update. */
  readonly loss: number;
  readonly gradNorm: number;
  readonly params: Readonly<Record<string, Float64Tensor>>;
}

/** Three optimizer steps on one batch in BN train mode, as torch.optim took them (float64). */
export interface ConvGoldenTrajectory {
  readonly id: string;
  readonly spec: ConvResidualSpec;
  readonly config: TrainingConfig;
  readonly params: ParamSet;
  readonly batch: Batch;
  readonly steps: readonly ConvGoldenStep[];
}

interface RawConvTrajectory {
  id: string;
  spec: unknown;
  config: unknown;
  params: Record<string, RawTensor>;
  input: RawTensor;
  target: RawTensor;
  steps: { step: number; lr: number; loss: number; gradNorm: number; params: Record<string, RawTensor> }[];
}

function convSpec(json: unknown, where: string): ConvResidualSpec {
  const spec = parseModelSpec(json);
  if (spec.kind !== 'residual' || spec.variant !== 'conv') throw new WeightsFormatError(`golden fixture: ${where} is not a conv spec`);
  return spec;
}

/**
 * Convolutional residual nets from PyTorch (torchvision's BasicBlock where it applies): CIFAR and ImageNet stems,
 * projection and zero-pad shortcuts, residual and plain, BatchNorm in train and eval mode and no BatchNorm;
 * 1-3 channels of 8×8, batch 3, both losses.
 */
export function loadConvGoldens(): ConvGoldenCase[] {
  const doc = readFixture<{ cases: RawConvCase[] }>('conv-residual.json');
  return doc.cases.flatMap((raw) => {
    const where = `conv-residual.json "${raw.id}"`;
    const spec = convSpec(raw.spec, where);
    const params = validateParams(spec, mapTensors(raw.params, `${where} params`, float32Tensor), `${where} params`);
    const input = float32Tensor(raw.input, `${where}.input`);
    return raw.losses.map((r) => ({
      id: `${raw.id} · ${r.loss}`,
      spec,
      seed: raw.seed,
      mode: raw.mode,
      params,
      batch: { input, target: float32Tensor(r.target, `${where}.${r.loss}.target`) },
      loss: r.loss,
      expected: {
        output: float64Tensor(raw.output, `${where}.output`),
        loss: r.value,
        grads: mapTensors(r.grads, `${where}.${r.loss}.grads`, float64Tensor),
        blockOutputGradNorms: r.blockOutputGradNorms,
        ...(r.runningStats ? { runningStats: mapTensors(r.runningStats, `${where}.${r.loss}.runningStats`, float64Tensor) } : {}),
      },
    }));
  });
}

/** SGD with momentum and weight decay (CIFAR stem, zero-pad) and Adam (ImageNet stem, projection), 3 steps each. */
export function loadConvTrajectories(): ConvGoldenTrajectory[] {
  const doc = readFixture<{ trajectories: RawConvTrajectory[] }>('conv-residual.json');
  return doc.trajectories.map((raw) => {
    const where = `conv-residual.json trajectory "${raw.id}"`;
    const spec = convSpec(raw.spec, where);
    return {
      id: raw.id,
      spec,
      config: parseTrainingConfig(raw.config),
      params: validateParams(spec, mapTensors(raw.params, `${where} params`, float32Tensor), `${where} params`),
      batch: { input: float32Tensor(raw.input, `${where}.input`), target: float32Tensor(raw.target, `${where}.target`) },
      steps: raw.steps.map((s) => ({ step: s.step, lr: s.lr, loss: s.loss, gradNorm: s.gradNorm, params: mapTensors(s.params, `${where} step ${s.step}`, float64Tensor) })),
    };
  });
}
