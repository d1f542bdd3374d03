// brain.js's own LSTM, GRU and RNN cells (stock flavor) next to the standard ones (faithful flavor): same weights,
// same batch of the adding problem (T=20, batch 32, hidden 32, PyTorch default init), sequence-to-one MSE.
// Build first: `pnpm build`.
//   node packages/brain/scripts/stock-vs-standard.mjs
import { createAddingTask, initParams, parseSpec } from '@gradscope/core';
import { createBrainBackend } from '../dist/index.js';

const T = 20;
const B = 32;
const H = 32;
// the same batch and weights as src/stock.test.ts
const batch = createAddingTask({ T, seed: 2 }).trainBatch(B, 0);
const e = (v) => (v === undefined ? '' : v.toExponential(2)).padStart(9);
const norm = (a) => Math.hypot(...a);

for (const cell of ['lstm', 'gru', 'rnn']) {
  const spec = parseSpec({ kind: 'recurrent', cell, inputSize: 2, hiddenSize: H, outputSize: 1 });
  const params = initParams(spec, { seed: 1 }); // PyTorch's default init
  // brain.js's GRU has no b_hn term (PyTorch multiplies it by r): zero it so the weights correspond exactly
  if (cell === 'gru') params['gru.bias_hh_l0'].data.fill(0, 2 * H, 3 * H);
  const run = async (flavor) => (await createBrainBackend({ flavor }).createModel(spec, params)).computeGradients(batch, 'mse');
  const standard = await run('faithful');
  const stock = await run('stock');
  const kind = { lstm: 'LSTM', gru: 'GRU', rnn: 'RNN (standard: tanh; brain.js: ReLU)' }[cell];
  console.log(`\n== ${kind}: loss standard ${standard.loss.toFixed(4)}, brain.js ${stock.loss.toFixed(4)}`);
  console.log(`  t   ||dL/dh_t|| standard  brain.js   ||dL/dx_t|| standard  brain.js${cell === 'lstm' ? '   ||dL/dc_t|| standard  brain.js' : ''}`);
  for (let t = 0; t < T; t++) {
    const cols = [
      `${e(standard.hiddenGradNorms[0][t])}            ${e(stock.hiddenGradNorms[0][t])}`,
      `${e(standard.inputGradNorms[t])}            ${e(stock.inputGradNorms[t])}`,
      ...(cell === 'lstm' ? [`${e(standard.cellGradNorms[0][t])}            ${e(stock.cellGradNorms[0][t])}`] : []),
    ];
    console.log(`${String(t).padStart(3)}   ${cols.join('   ')}`);
  }
  console.log('||grad|| per parameter        standard  brain.js');
  for (const name of Object.keys(standard.grads)) console.log(`${name.padEnd(28)} ${e(norm(standard.grads[name].data))} ${e(norm(stock.grads[name].data))}`);
}
