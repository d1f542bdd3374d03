// Median time of one training step (Adam, clip norm) on the tfjs backend, unmonitored and monitored.
// Usage (after `pnpm build`): node packages/tfjs/scripts/bench-train-step.mjs [wasm|cpu] [steps]
import { paramShapes, parseSpec, parseTrainingConfig } from '@gradscope/core';
import { createTfjsBackend } from '../dist/index.js';

const device = process.argv[2] ?? 'wasm';
const steps = Number(process.argv[3] ?? 50);
let seed = 42;
const uniform = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
const random = (shape, scale = 1) => ({ shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => uniform() * scale) });
const initParams = (spec) =>
  Object.fromEntries(paramShapes(spec).map(({ name, shape }) => [name, random(shape, 1 / Math.sqrt(shape.at(-1)))]));

const cases = [
  { label: 'residual tanh 16 blocks width 64, batch 64', spec: { kind: 'residual', inputSize: 8, outputSize: 4, width: 64, depth: 16, block: { activation: 'tanh' } }, input: [64, 8], target: [64, 4] },
  { label: 'LSTM H=32 T=20, batch 32', spec: { kind: 'recurrent', cell: 'lstm', inputSize: 2, hiddenSize: 32, outputSize: 1 }, input: [32, 20, 2], target: [32, 1] },
];

const backend = await createTfjsBackend({ backend: device });
for (const c of cases) {
  const spec = parseSpec(c.spec);
  const model = await backend.createModel(spec, initParams(spec));
  model.configureTraining(parseTrainingConfig({ optimizer: { type: 'adam', lr: 1e-3 }, clip: { type: 'norm', maxNorm: 1 } }));
  const batch = { input: random(c.input), target: random(c.target) };
  for (const report of [false, true]) {
    for (let i = 0; i < 5; i++) await model.trainStep(batch, { report });
    const times = [];
    for (let i = 0; i < steps; i++) {
      const start = performance.now();
      await model.trainStep(batch, { report });
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    console.log(`${device} ${c.label}${report ? ' (monitored)' : ''}: median ${times[Math.floor(steps / 2)].toFixed(2)} ms over ${steps} steps`);
  }
  await model.dispose();
}
await backend.dispose();
