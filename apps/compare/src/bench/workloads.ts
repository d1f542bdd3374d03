import type { NetworkSpecInput } from '@gradscope/core';

/** One benchmarked training setup: a spec, a batch size and, for recurrent specs, a sequence length. */
export interface Workload {
  readonly id: string;
  readonly label: string;
  readonly group: 'main' | 'larger' | 'scaling';
  readonly spec: NetworkSpecInput;
  readonly batch: number;
  readonly steps?: number;
}

const mlp = (depth: number, width: number, skip: 'identity' | 'none'): NetworkSpecInput => ({
  kind: 'residual',
  inputSize: width,
  outputSize: 10,
  width,
  depth,
  block: { layers: 1, activation: 'tanh', skip },
});

const rnn = (cell: 'lstm' | 'gru' | 'rnn', hiddenSize: number): NetworkSpecInput => ({
  kind: 'recurrent',
  cell,
  inputSize: 2,
  hiddenSize,
  numLayers: 1,
  outputSize: 1,
});

/** The workloads of the bench issue: the main cases, a larger one of each kind, and a scaling sweep. */
export const workloads: readonly Workload[] = [
  { id: 'residual-16x64', label: 'residual tanh MLP 16 x 64, batch 64', group: 'main', spec: mlp(16, 64, 'identity'), batch: 64 },
  { id: 'plain-16x64', label: 'plain tanh MLP 16 x 64, batch 64', group: 'main', spec: mlp(16, 64, 'none'), batch: 64 },
  { id: 'lstm-h32-t20', label: 'LSTM H=32 T=20, batch 32', group: 'main', spec: rnn('lstm', 32), batch: 32, steps: 20 },
  { id: 'lstm-h32-t50', label: 'LSTM H=32 T=50, batch 32', group: 'main', spec: rnn('lstm', 32), batch: 32, steps: 50 },
  { id: 'gru-h32-t50', label: 'GRU H=32 T=50, batch 32', group: 'main', spec: rnn('gru', 32), batch: 32, steps: 50 },
  { id: 'rnn-h32-t50', label: 'tanh RNN H=32 T=50, batch 32', group: 'main', spec: rnn('rnn', 32), batch: 32, steps: 50 },
  { id: 'residual-16x256', label: 'residual tanh MLP 16 x 256, batch 64', group: 'larger', spec: mlp(16, 256, 'identity'), batch: 64 },
  { id: 'lstm-h128-t50', label: 'LSTM H=128 T=50, batch 32', group: 'larger', spec: rnn('lstm', 128), batch: 32, steps: 50 },
  { id: 'residual-8x64', label: 'residual depth 8', group: 'scaling', spec: mlp(8, 64, 'identity'), batch: 64 },
  { id: 'residual-32x64', label: 'residual depth 32', group: 'scaling', spec: mlp(32, 64, 'identity'), batch: 64 },
  { id: 'lstm-h32-t100', label: 'LSTM T=100', group: 'scaling', spec: rnn('lstm', 32), batch: 32, steps: 100 },
];

/**
 * Floating-point operations of one dense training step: forward 2·B·in·out per Linear, backward twice that
 * (input and weight gradients). Activations and biases are left out, as usual for GFLOP/s figures.
 */
export function denseStepFlops(w: Workload): number | undefined {
  const s = w.spec;
  if (s.kind !== 'residual') return undefined;
  const layers = s.block?.layers ?? 1;
  const macs = s.inputSize * s.width + s.depth * layers * s.width * s.width + s.width * s.outputSize;
  return 6 * w.batch * macs;
}
