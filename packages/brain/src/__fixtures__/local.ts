import { paramShapes, sizeOf, type Batch, type NetworkSpec, type ParamSet } from '@gradscope/core';

// Test-only stand-ins until core's createAddingTask / initParams are on main: a seeded generator, PyTorch's
// default Linear/RNN init (U(-1/sqrt(fan), 1/sqrt(fan))) and DESIGN.md's adding problem.

export function seededUniform(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** PyTorch's default init: Linear layers by fan-in, recurrent cells by 1/sqrt(hidden) for every tensor. */
export function torchDefaultParams(spec: NetworkSpec, seed: number): ParamSet {
  const rand = seededUniform(seed);
  const out: ParamSet = {};
  const shapes = paramShapes(spec);
  const fanIn = (name: string): number => shapes.find((p) => p.name === name.replace(/bias$/, 'weight'))!.shape[1]!;
  for (const { name, shape } of shapes) {
    const recurrentCell = spec.kind === 'recurrent' && !name.startsWith('fc.');
    const bound = 1 / Math.sqrt(recurrentCell ? spec.hiddenSize : fanIn(name));
    out[name] = { shape, data: Float32Array.from({ length: sizeOf(shape) }, () => (rand() * 2 - 1) * bound) };
  }
  return out;
}

/** The adding problem: channel 0 values U(0,1), channel 1 marks one step in [0, T/2) and one in [T/2, T). */
export function addingBatch(batch: number, steps: number, seed: number): Batch {
  const rand = seededUniform(seed);
  const input = new Float32Array(batch * steps * 2);
  const target = new Float32Array(batch);
  const half = Math.floor(steps / 2);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < steps; t++) input[(b * steps + t) * 2] = rand();
    const first = Math.floor(rand() * half);
    const second = half + Math.floor(rand() * (steps - half));
    for (const t of [first, second]) {
      input[(b * steps + t) * 2 + 1] = 1;
      target[b] = target[b]! + input[(b * steps + t) * 2]!;
    }
  }
  return { input: { shape: [batch, steps, 2], data: input }, target: { shape: [batch, 1], data: target } };
}
