import { checkLabels, type LossName, type Tensor } from '@gradscope/core';
import type { Graph } from './graph.js';

/** The loss of `output` against the `target` value `[batch, outputSize]` (crossEntropy targets fed one-hot), as a scalar. */
export function appendLoss(g: Graph, loss: LossName, output: string, target: string, batch: number): string {
  if (loss === 'mse') {
    const d = g.op1('Sub', [output, target]);
    return g.op1('ReduceMean', [g.op1('Mul', [d, d])], { keepdims: 0 });
  }
  // mean over the batch of -log softmax(logits)[label], the labels given one-hot
  const picked = g.op1('ReduceSum', [g.op1('Mul', [target, g.op1('LogSoftmax', [output], { axis: 1 })])], { keepdims: 0 });
  return g.op1('Mul', [picked, g.constFloat(-1 / batch)]);
}

/** The target as the graphs take it, `[batch, classes]`: mse as given, crossEntropy labels (checked) as one-hot rows. */
export function targetFeed(loss: LossName, target: Tensor, classes: number): { dims: readonly number[]; data: Float32Array } {
  const batch = target.shape[0]!;
  if (loss === 'mse') return { dims: [batch, classes], data: target.data };
  checkLabels(target.data, classes);
  const data = new Float32Array(target.data.length * classes);
  target.data.forEach((label, i) => (data[i * classes + label] = 1));
  return { dims: [batch, classes], data };
}
