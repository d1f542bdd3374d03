import { GraphError, type Graph } from './graph.js';

export interface BatchNormTrainingOptions {
  /** Added to the variance before the square root (PyTorch's default 1e-5). */
  readonly eps?: number;
  /** Running statistics to update, with PyTorch's momentum (default 0.1). */
  readonly running?: { readonly mean: string; readonly variance: string; readonly momentum?: number };
}

export interface BatchNormTrainingValues {
  /** The normalized, scaled and shifted output, shape of `x`. */
  readonly y: string;
  /** Updated running mean and running variance `[C]`, when `running` was given. */
  readonly runningMean?: string;
  readonly runningVariance?: string;
}

/**
 * Training-mode batch normalization of an `[N, C, ...]` tensor as PyTorch computes it: normalized with the batch
 * mean and the biased batch variance over every axis but channels; running statistics move towards the batch mean
 * and the unbiased batch variance. Built from ReduceMean/Sub/Mul/Add/Sqrt/Div, which the backward generator
 * differentiates, because onnxruntime-web's BatchNormalization with `training_mode = 1` does not normalize with the
 * batch statistics.
 */
export function batchNormTraining(g: Graph, x: string, scale: string, bias: string, options: BatchNormTrainingOptions = {}): BatchNormTrainingValues {
  const xs = g.shape(x);
  const axes = [0, ...Array.from({ length: xs.length - 2 }, (_, i) => i + 2)];
  const count = axes.reduce((n, a) => n * xs[a]!, 1);
  if (count < 2) throw new GraphError(`batch normalization in training needs more than one value per channel, got input [${xs}]`);
  const channelShape = g.constInt64([1, -1, ...new Array<number>(xs.length - 2).fill(1)]);
  // one axis at a time, for the reason of sumAxes
  const meanOver = (t: string): string => [...axes].reverse().reduce((acc, axis) => g.op1('ReduceMean', [acc], { axes: [axis], keepdims: 1 }), t);
  const mean = meanOver(x);
  const centered = g.op1('Sub', [x, mean]);
  const variance = meanOver(g.op1('Mul', [centered, centered]));
  const normalized = g.op1('Div', [centered, g.op1('Sqrt', [g.op1('Add', [variance, g.constFloat(options.eps ?? 1e-5)])])]);
  const y = g.op1('Add', [g.op1('Mul', [normalized, g.op1('Reshape', [scale, channelShape])]), g.op1('Reshape', [bias, channelShape])]);
  if (!options.running) return { y };
  const m = options.running.momentum ?? 0.1;
  const flat = g.constInt64([xs[1]!]);
  const blend = (old: string, batch: string, factor: number): string =>
    g.op1('Add', [g.op1('Mul', [old, g.constFloat(1 - m)]), g.op1('Mul', [g.op1('Reshape', [batch, flat]), g.constFloat(m * factor)])]);
  return {
    y,
    runningMean: blend(options.running.mean, mean, 1),
    runningVariance: blend(options.running.variance, variance, count / (count - 1)),
  };
}
