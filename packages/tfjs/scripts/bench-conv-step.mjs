// Median time of one SGD training step of a conv ResNet (ResNet-20 layout, 1×14×14 input, batch 32), unmonitored
// and monitored. Usage (after `pnpm build`): node packages/tfjs/scripts/bench-conv-step.mjs [wasm|cpu] [steps]
import { loadavg } from 'node:os';
import { createRng, initParams, parseModelSpec, parseTrainingConfig } from '@gradscope/core';
import { createTfjsBackend } from '../dist/index.js';

const device = process.argv[2] ?? 'wasm';
const steps = Number(process.argv[3] ?? 10);
const spec = parseModelSpec({ kind: 'residual', variant: 'conv', preset: 'resnet20', inputChannels: 1, inputSize: 14 });
const backend = await createTfjsBackend({ backend: device });
const model = await backend.createModel(spec, initParams(spec, { seed: 0 }));
model.configureTraining(parseTrainingConfig({ loss: 'crossEntropy', optimizer: { type: 'sgd', lr: 0.1, momentum: 0.9 } }));
const rng = createRng(1);
const n = 32;
const batch = {
  input: { shape: [n, 1, 14, 14], data: Float32Array.from({ length: n * 196 }, () => rng.uniform()) },
  target: { shape: [n], data: Float32Array.from({ length: n }, (_, i) => i % 10) },
};
const times = { plain: [], monitored: [] };
await model.trainStep(batch); // warm-up
for (let i = 0; i < steps; i++) {
  for (const kind of ['plain', 'monitored']) {
    const start = performance.now();
    await model.trainStep(batch, { report: kind === 'monitored' });
    times[kind].push(performance.now() - start);
  }
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
console.log(`${device}: resnet20 layout, 1x14x14, batch 32: step ${median(times.plain).toFixed(1)} ms, monitored ${median(times.monitored).toFixed(1)} ms (load average ${loadavg()[0].toFixed(1)})`);
await backend.dispose();
