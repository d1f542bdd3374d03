// Time per training step of the brain.js backend (build first: `pnpm build`).
//   node packages/brain/scripts/speed.mjs
// Residual relu 16 blocks x width 64, batch 64; LSTM H=32 T=20 batch 32 (faithful and stock); Adam with norm clipping.
// Wall-clock (median) and process CPU time (mean; the steadier number on a shared machine) per step.
// Last line: the same residual net on brain.js's layer API (FeedForward), forward + backward only, for comparison.
import brain from 'brain.js';
import { initParams, parseSpec } from '@gradscope/core';
import { createBrainBackend } from '../dist/index.js';

function rand(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const r = rand(1);
const tensor = (shape, scale = 1) => ({ shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (r() * 2 - 1) * scale) });

async function time(label, flavor, spec, batch, { warmup = 3, runs = 20, report = false } = {}) {
  const model = await createBrainBackend({ flavor }).createModel(spec, initParams(spec, { seed: 0 }));
  model.configureTraining({ loss: 'mse', optimizer: { type: 'adam', lr: 1e-3 }, clip: { type: 'norm', maxNorm: 1 } });
  for (let i = 0; i < warmup; i++) await model.trainStep(batch, { report });
  const wall = [];
  const cpu = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await model.trainStep(batch, { report });
    const c = process.cpuUsage(c0);
    wall.push(performance.now() - t0);
    cpu.push((c.user + c.system) / 1000);
  }
  console.log(`${label.padEnd(52)} ${median(wall).toFixed(1).padStart(7)} ms/step wall, ${mean(cpu).toFixed(1).padStart(6)} ms cpu (median wall, mean cpu of ${runs})`);
}

// getrusage counts CPU time in scheduler ticks: a mean over the runs averages the tick out, a median would not.
function mean(values) {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

const residual = parseSpec({ kind: 'residual', inputSize: 64, outputSize: 10, width: 64, depth: 16, block: { activation: 'relu' } });
const resBatch = { input: tensor([64, 64]), target: tensor([64, 10]) };
const lstm = parseSpec({ kind: 'recurrent', cell: 'lstm', inputSize: 2, hiddenSize: 32, outputSize: 1 });
const seqBatch = { input: tensor([32, 20, 2]), target: tensor([32, 1]) };

await time('faithful residual relu 16x64, batch 64', 'faithful', residual, resBatch);
await time('faithful residual relu 16x64, batch 64, monitored', 'faithful', residual, resBatch, { report: true });
await time('faithful LSTM H=32 T=20, batch 32', 'faithful', lstm, seqBatch);
await time('faithful LSTM H=32 T=20, batch 32, monitored', 'faithful', lstm, seqBatch, { report: true });
await time('stock LSTMTimeStep H=32 T=20, batch 32', 'stock', lstm, seqBatch);

// brain.js's layer API (one example at a time, gpu.js kernels on its CPU backend): forward + backward of 64 examples,
// no weight update. Its Add overwrites deltas, so these gradients would be wrong anyway; this only times it.
{
  const { layer } = brain;
  const net = new brain.FeedForward({
    inputLayer: () => layer.input({ height: 64 }),
    hiddenLayers: [
      ...Array.from({ length: 16 }, () => (inp) =>
        layer.add(layer.relu(layer.add(layer.multiply(layer.random({ height: 64, width: 64 }), inp), layer.random({ height: 64 }))), inp)),
      (inp) => layer.add(layer.multiply(layer.random({ height: 10, width: 64 }), inp), layer.random({ height: 10 })),
    ],
    outputLayer: (inp) => layer.target({ height: 10 }, inp),
  });
  net.initialize();
  const x = resBatch.input.data.subarray(0, 64);
  const y = resBatch.target.data.subarray(0, 10);
  const pass = () => {
    for (let b = 0; b < 64; b++) {
      net.runInput(x);
      net._calculateDeltas(y);
    }
  };
  pass();
  pass();
  const wall = [];
  const cpu = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    pass();
    const c = process.cpuUsage(c0);
    wall.push(performance.now() - t0);
    cpu.push((c.user + c.system) / 1000);
  }
  console.log(`${'layer API residual relu 16x64, 64 examples, fwd+bwd'.padEnd(52)} ${median(wall).toFixed(1).padStart(7)} ms wall,      ${mean(cpu).toFixed(1).padStart(6)} ms cpu (median wall, mean cpu of 5)`);
}
