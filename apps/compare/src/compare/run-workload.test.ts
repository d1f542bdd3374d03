import { createReferenceBackend } from '@gradscope/testkit';
import { describe, expect, it } from 'vitest';
import { runWorkload } from './run-workload.js';
import { suites } from './suites.js';
import { depthWorkloads } from './workloads.js';

describe('runWorkload', () => {
  it('shows the outcome so far after the gradients at init and after every step (what the web page draws live)', async () => {
    const suite = { ...suites.smoke, depth: { ...suites.smoke.depth, depths: [4], activations: ['tanh' as const], steps: 6, reportEvery: 3 } };
    const w = depthWorkloads(suite, 0)[0]!;
    const seen: { steps: number; snapshots: number }[] = [];
    const backend = createReferenceBackend();
    try {
      const outcome = await runWorkload(backend, w, true, false, (o) => seen.push({ steps: o.loss.length, snapshots: o.snapshots.length }));
      expect(seen.map((s) => s.steps)).toEqual([0, 1, 2, 3, 4, 5, 6]);
      expect(seen.map((s) => s.snapshots)).toEqual([1, 1, 1, 2, 2, 2, 3]);
      expect(outcome.loss).toHaveLength(6);
    } finally {
      await backend.dispose();
    }
  });
});
