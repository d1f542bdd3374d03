import type { Batch } from '@gradscope/core';

// Test-only stand-ins until core's createAddingTask is on main: a seeded generator and DESIGN.md's adding problem.

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
