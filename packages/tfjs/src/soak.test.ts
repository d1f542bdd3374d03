import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { formatSoak, runSoak, soakEnabled } from '@gradscope/testkit';
import { createTfjsBackend } from './backend.js';

// 10,000 monitored steps: run by `pnpm test:soak` only (GRADSCOPE_SOAK=1), figures in the README's "Soak" line
describe.skipIf(!soakEnabled)('soak: tfjs', () => {
  it('10000 monitored training steps: flat tf.memory().numTensors, heap growth < 10% after warm-up', { timeout: 1_800_000 }, async () => {
    const backend = await createTfjsBackend();
    try {
      const f = await runSoak({ backend, counters: { tensors: () => tf.memory().numTensors } });
      console.log(`soak tfjs: ${formatSoak(f)}`);
      expect(f.steps).toBe(10_000);
      expect(f.monitoredSteps).toBe(10_000);
      expect(Number.isFinite(f.finalLoss)).toBe(true);
      expect(f.counters['tensors']!.after).toBe(f.counters['tensors']!.before);
      expect(f.heapGrowth).toBeLessThan(0.1);
    } finally {
      await backend.dispose();
    }
  });
});
