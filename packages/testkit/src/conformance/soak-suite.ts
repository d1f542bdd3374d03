import { describe, expect, it } from 'vitest';
import type { Backend } from '@gradscope/core';
import { formatSoak, runSoak, soakEnabled } from '../soak.js';

/**
 * 10,000 monitored training steps on a backend, run by `pnpm test:soak` only (GRADSCOPE_SOAK=1; figures in the
 * package README's "Soak" line): every step monitored, heap growth < 10% after warm-up, and each of the backend's own
 * resource `counters` (tfjs tensors, ORT sessions) the same at the end as after the warm-up.
 */
export function describeSoak(name: string, create: () => Backend | Promise<Backend>, counters: Readonly<Record<string, () => number>> = {}): void {
  const flat = Object.keys(counters).map((c) => `flat ${c}, `).join('');
  describe.skipIf(!soakEnabled)(`soak: ${name}`, () => {
    it(`10000 monitored training steps: ${flat}heap growth < 10% after warm-up`, { timeout: 1_800_000 }, async () => {
      const backend = await create();
      try {
        const f = await runSoak({ backend, counters });
        console.log(`soak ${name}: ${formatSoak(f)}`);
        expect(f.steps).toBe(10_000);
        expect(f.monitoredSteps).toBe(10_000);
        expect(Number.isFinite(f.finalLoss)).toBe(true);
        for (const c of Object.keys(counters)) expect(f.counters[c]!.after, c).toBe(f.counters[c]!.before);
        expect(f.heapGrowth).toBeLessThan(0.1);
      } finally {
        await backend.dispose();
      }
    });
  });
}
