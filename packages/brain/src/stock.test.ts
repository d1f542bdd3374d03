import { initParams, parseSpec, relativeError } from '@gradscope/core';
import { describe, expect, it } from 'vitest';
import { addingBatch, randomBatch } from './__fixtures__/local.js';
import { createBrainBackend } from './backend.js';

const lstm = parseSpec({ kind: 'recurrent', cell: 'lstm', inputSize: 2, hiddenSize: 32, outputSize: 1 });
const norm = (a: Float32Array): number => Math.hypot(...a);

describe('stock flavor: brain.js LSTMTimeStep / RNNTimeStep cells', () => {
  it('declares its own semantics and no residual nets', async () => {
    const backend = createBrainBackend({ flavor: 'stock' });
    expect(backend.supports.semantics).toBe('brainjs-stock');
    expect(backend.name).toBe('brain-stock');
    const residual = parseSpec({ kind: 'residual', inputSize: 2, outputSize: 1, width: 3, depth: 1 });
    await expect(backend.createModel(residual, initParams(residual, { seed: 0 }))).rejects.toThrow('brain-stock backend does not support residual variant "dense"');
  });

  it.each(['mse', 'crossEntropy'] as const)('equals the standard LSTM for one step (c_0 = h_0 = 0), stacked, %s: the weights correspond', async (loss) => {
    const lstm = parseSpec({ kind: 'recurrent', cell: 'lstm', inputSize: 2, hiddenSize: 6, numLayers: 2, outputSize: 3 });
    const params = initParams(lstm, { seed: 7 });
    const random = randomBatch([8, 1, 2], [8, 3], 7);
    const batch = loss === 'mse' ? random : { input: random.input, target: { shape: [8], data: Float32Array.of(0, 1, 2, 0, 1, 2, 2, 1) } };
    const faithful = await (await createBrainBackend().createModel(lstm, params)).computeGradients(batch, loss);
    const stock = await (await createBrainBackend({ flavor: 'stock' }).createModel(lstm, params)).computeGradients(batch, loss);
    expect(relativeError(stock.output.data, faithful.output.data)).toBeLessThan(1e-5);
    expect(Math.abs(stock.loss - faithful.loss) / faithful.loss).toBeLessThan(1e-5);
    for (const name of ['lstm.weight_ih_l0', 'lstm.bias_ih_l0', 'lstm.bias_hh_l0', 'lstm.weight_ih_l1', 'lstm.bias_hh_l1', 'fc.weight', 'fc.bias']) {
      expect(relativeError(stock.grads[name]!.data, faithful.grads[name]!.data), name).toBeLessThan(1e-4);
    }
  });

  it('at T=20 its gradient vanishes orders of magnitude faster than a standard LSTM with the same weights', async () => {
    const params = initParams(lstm, { seed: 1 });
    const batch = addingBatch(32, 20, 2);
    const faithful = await (await createBrainBackend().createModel(lstm, params)).computeGradients(batch, 'mse');
    const stock = await (await createBrainBackend({ flavor: 'stock' }).createModel(lstm, params)).computeGradients(batch, 'mse');
    const [fh, sh] = [faithful.hiddenGradNorms![0]!, stock.hiddenGradNorms![0]!];
    // the readout sees the same last step...
    expect(Math.abs(sh[19]! - fh[19]!) / fh[19]!).toBeLessThan(0.05);
    // ...but 19 steps back brain.js's LSTM keeps far less of it: no separate cell state to carry it
    expect(sh[0]! / fh[0]!).toBeLessThan(1e-2);
    expect(stock.inputGradNorms![0]! / faithful.inputGradNorms![0]!).toBeLessThan(1e-3);
    // and the bias gradient is only step 0's contribution (brain.js's add backprop overwrites it each step)
    expect(norm(stock.grads['lstm.bias_ih_l0']!.data) / norm(faithful.grads['lstm.bias_ih_l0']!.data)).toBeLessThan(1e-6);
  });

  it("brain.js's GRU: same function for one step when b_hn = 0, but no gradient through 1 - z and a vanishing skip path", async () => {
    const gru = parseSpec({ kind: 'recurrent', cell: 'gru', inputSize: 2, hiddenSize: 8, outputSize: 1 });
    const params = initParams(gru, { seed: 1 });
    params['gru.bias_hh_l0']!.data.fill(0, 16, 24); // PyTorch multiplies b_hn by r; brain.js has no such term
    const grads = async (flavor: 'faithful' | 'stock', steps: number) =>
      (await createBrainBackend({ flavor }).createModel(gru, params)).computeGradients(steps === 1 ? randomBatch([32, 1, 2], [32, 1], 2) : addingBatch(32, steps, 2), 'mse');
    const [f1, s1] = [await grads('faithful', 1), await grads('stock', 1)];
    expect(relativeError(s1.output.data, f1.output.data)).toBeLessThan(1e-5);
    const rows = (r: typeof f1, gate: number) => r.grads['gru.weight_ih_l0']!.data.subarray(gate * 16, (gate + 1) * 16);
    expect(relativeError(rows(s1, 2), rows(f1, 2))).toBeLessThan(1e-4); // candidate n: same gradient
    expect(norm(rows(f1, 1))).toBeGreaterThan(1e-2); // update gate z: PyTorch's gradient flows through (1 - z) n
    expect(norm(rows(s1, 1))).toBe(0); // brain.js's cloneNegative has no backprop
    const [f20, s20] = [await grads('faithful', 20), await grads('stock', 20)];
    // the reset path's multiplyElement overwrites h_{t-1}'s delta from the z ⊙ h_{t-1} skip path
    expect(s20.hiddenGradNorms![0]![0]! / f20.hiddenGradNorms![0]![0]!).toBeLessThan(1e-6);
  });

  it("uses brain.js's ReLU RNN cell, which differs from the tanh RNN", async () => {
    const rnn = parseSpec({ kind: 'recurrent', cell: 'rnn', inputSize: 2, hiddenSize: 8, outputSize: 1 });
    const params = initParams(rnn, { seed: 9 });
    const batch = addingBatch(4, 3, 9);
    const faithful = await (await createBrainBackend().createModel(rnn, params)).forward(batch.input);
    const stock = await (await createBrainBackend({ flavor: 'stock' }).createModel(rnn, params)).forward(batch.input);
    expect(relativeError(stock.data, faithful.data)).toBeGreaterThan(1e-3);
  });

  it('trains with gradscope optimizers and reports a per-timestep grid', async () => {
    const model = await createBrainBackend({ flavor: 'stock' }).createModel(lstm, initParams(lstm, { seed: 3 }));
    model.configureTraining({ loss: 'mse', optimizer: { type: 'adam', lr: 1e-2, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 }, schedule: { type: 'constant' } });
    const first = await model.trainStep(addingBatch(16, 10, 0), { report: true });
    expect(first.report!.hiddenGradNorms).toHaveLength(1);
    expect(first.report!.hiddenGradNorms![0]).toHaveLength(10);
    expect(first.report!.cellGradNorms![0]).toHaveLength(10);
    let last = first.loss;
    for (let s = 1; s < 30; s++) last = (await model.trainStep(addingBatch(16, 10, s))).loss;
    expect(last).toBeLessThan(first.loss);
  });
});
