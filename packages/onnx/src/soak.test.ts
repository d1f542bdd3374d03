import { describe, expect, it } from 'vitest';
import { formatSoak, runSoak, soakEnabled } from '@gradscope/testkit';
import { createOnnxBackend } from './backend.js';
import { liveSessionCount } from './session.js';

// 10,000 monitored steps: run by `pnpm test:soak` only (GRADSCOPE_SOAK=1), figures in the README's "Soak" line
describe.skipIf(!soakEnabled)('soak: onnx', () => {
  it('10000 monitored training steps: no growth of ORT sessions, heap growth < 10% after warm-up', { timeout: 1_800_000 }, async () => {
    const backend = createOnnxBackend();
    try {
      const f = await runSoak({ backend, counters: { sessions: liveSessionCount } });
      console.log(`soak onnx: ${formatSoak(f)}`);
      expect(f.steps).toBe(10_000);
      expect(f.monitoredSteps).toBe(10_000);
      expect(Number.isFinite(f.finalLoss)).toBe(true);
      expect(f.counters['sessions']!.after).toBe(f.counters['sessions']!.before);
      expect(f.heapGrowth).toBeLessThan(0.1);
    } finally {
      await backend.dispose();
    }
  });
});
