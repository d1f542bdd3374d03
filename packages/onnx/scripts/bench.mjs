// Training-step medians of the ONNX backend (wasm, 1 thread).
// Run after `pnpm build`:  node packages/onnx/scripts/bench.mjs [steps]
import { applyTrainingStep, createOptimizerState, initParams, isConvResidual, paramShapes, parseModelSpec, parseTrainingConfig } from '@gradscope/core';
import { createOnnxBackend } from '../dist/index.js';

const steps = Number(process.argv[2] ?? 200);
const warmup = 5;

function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(1);
const uniform = (n, b) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * b);
const init = (spec) =>
  Object.fromEntries(paramShapes(spec).map(({ name, shape }) => [name, { shape, data: uniform(shape.reduce((a, b) => a * b, 1), 1 / Math.sqrt(shape.at(-1))) }]));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function bench(label, specJson, batchShape, targetShape) {
  const spec = parseModelSpec(specJson);
  const backend = createOnnxBackend();
  // Conv nets need valid BatchNorm running variances: core's PyTorch-style init.
  const model = await backend.createModel(spec, isConvResidual(spec) ? initParams(spec, { seed: 1 }) : init(spec));
  const config = parseTrainingConfig({ optimizer: { type: 'adam', lr: 1e-3 }, clip: { type: 'norm', maxNorm: 1 } });
  model.configureTraining(config);
  const batch = { input: { shape: batchShape, data: uniform(batchShape.reduce((a, b) => a * b, 1), 1) }, target: { shape: targetShape, data: uniform(targetShape.reduce((a, b) => a * b, 1), 1) } };
  const row = { label };
  for (const report of [false, true]) {
    const t0 = performance.now();
    await model.trainStep(batch, { report });
    row[report ? 'firstMonitoredMs' : 'firstStepMs'] = +(performance.now() - t0).toFixed(1);
    for (let i = 0; i < warmup; i++) await model.trainStep(batch, { report });
  }
  // Plain and monitored steps alternate, so both see the same machine load (the machine is shared).
  const times = { false: [], true: [] };
  for (let i = 0; i < 2 * steps; i++) {
    const report = i % 2 === 1;
    const t = performance.now();
    await model.trainStep(batch, { report });
    times[report].push(performance.now() - t);
  }
  row.stepMs = +median(times.false).toFixed(3);
  row.monitoredStepMs = +median(times.true).toFixed(3);
  // The optimizer part alone (clip + Adam in TypeScript on fetched gradients), to weigh it against the whole step.
  const trainable = new Set(paramShapes(spec).filter((p) => p.trainable !== false).map((p) => p.name));
  const params = Object.fromEntries(Object.entries(await model.getParams()).filter(([n]) => trainable.has(n)).map(([n, t]) => [n, t.data]));
  const grads = Object.fromEntries(Object.entries(params).map(([n, p]) => [n, uniform(p.length, 1e-3)]));
  const state = createOptimizerState();
  const opt = [];
  for (let i = 0; i < steps; i++) {
    const t = performance.now();
    applyTrainingStep(config, state, params, grads, false);
    opt.push(performance.now() - t);
  }
  row.optimizerInTsMs = +median(opt).toFixed(3);
  row.params = Object.values(params).reduce((n, p) => n + p.length, 0);
  await backend.dispose();
  return row;
}

const resnet = (n) => ({ kind: 'residual', variant: 'conv', preset: 'resnet20', inputChannels: 1, inputSize: 14, stages: [16, 32, 64].map((channels, i) => ({ blocks: n, channels, stride: i ? 2 : 1 })) });
const rows = [
  await bench('residual 16 blocks width 64 batch 64 (tanh)', { kind: 'residual', inputSize: 64, outputSize: 10, width: 64, depth: 16, block: { activation: 'tanh' } }, [64, 64], [64, 10]),
  await bench('LSTM H=32 T=20 batch 32', { kind: 'recurrent', cell: 'lstm', inputSize: 2, hiddenSize: 32, outputSize: 1 }, [32, 20, 2], [32, 1]),
  await bench('LSTM H=32 T=50 batch 32', { kind: 'recurrent', cell: 'lstm', inputSize: 2, hiddenSize: 32, outputSize: 1 }, [32, 50, 2], [32, 1]),
  await bench('conv ResNet-8 (16-32-64, zeropad, BN) 1x14x14 batch 32', resnet(1), [32, 1, 14, 14], [32, 10]),
  await bench('conv ResNet-20 (16-32-64, zeropad, BN) 1x14x14 batch 32', resnet(3), [32, 1, 14, 14], [32, 10]),
];
console.log(`onnxruntime-web wasm, ${steps} timed steps after ${warmup} warm-up, Adam + clip norm; medians in ms`);
console.table(rows);
