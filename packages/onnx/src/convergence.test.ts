import { parseSpec, parseTrainingConfig, type CellType } from '@gradscope/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createOnnxBackend } from './backend.js';
import { addingBatch, seededRandom, torchLikeInit } from './test-helpers.js';

const T = 50;
const STEPS = 1000;
const backend = createOnnxBackend();
afterAll(() => backend.dispose());

/** Trains on the adding problem (hidden 32, batch 32, Adam lr 1e-2, clip norm 1.0) and returns the test MSE curve. */
async function train(cell: CellType): Promise<{ step: number; mse: number }[]> {
  const spec = parseSpec({ kind: 'recurrent', cell, inputSize: 2, hiddenSize: 32, outputSize: 1 });
  const model = await backend.createModel(spec, torchLikeInit(spec, 42));
  model.configureTraining(parseTrainingConfig({ loss: 'mse', optimizer: { type: 'adam', lr: 1e-2 }, clip: { type: 'norm', maxNorm: 1 } }));
  const test = addingBatch(seededRandom(7), 1000, T);
  const rand = seededRandom(1);
  const testMse = async (): Promise<number> => {
    const y = await model.forward(test.input);
    return y.data.reduce((s, v, i) => s + (v - test.target.data[i]!) ** 2, 0) / y.data.length;
  };
  const curve: { step: number; mse: number }[] = [];
  for (let step = 1; step <= STEPS; step++) {
    await model.trainStep(addingBatch(rand, 32, T));
    if (step % 250 === 0) curve.push({ step, mse: await testMse() });
  }
  await model.dispose();
  return curve;
}

describe(`adding problem, T=${T}, ${STEPS} steps (PyTorch: LSTM 0.0006, tanh RNN ~0.17)`, () => {
  it('an LSTM reaches test MSE below 0.02', async () => {
    const curve = await train('lstm');
    console.log('lstm test MSE', curve);
    expect(curve.at(-1)!.mse).toBeLessThan(0.02);
  }, 120_000);

  it('a tanh RNN of the same size stays above 0.1', async () => {
    const curve = await train('rnn');
    console.log('rnn test MSE', curve);
    expect(Math.min(...curve.map((c) => c.mse))).toBeGreaterThan(0.1);
  }, 120_000);
});
