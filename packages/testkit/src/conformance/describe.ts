import { describe, it } from 'vitest';
import type { ConformanceOptions } from './options.js';
import { planConformance } from './plan.js';
import type { CheckResult } from './result.js';

const skipped = (title: string, reason: string): string => `${title} — skipped: ${reason}`;

/** A failed check as a test failure whose message lists every disagreement. */
export class ConformanceFailure extends Error {
  constructor(title: string, result: CheckResult) {
    super([`${title}:`, ...result.failures.map((f) => `  - ${f}`)].join('\n'));
    this.name = 'ConformanceFailure';
  }
}

const SWEEP_TIMEOUT_MS = 120_000;

/**
 * Registers the conformance suite for a backend with vitest: one test per check; a section or check the backend's
 * `supports` manifest does not cover appears as a skipped test whose name carries the reason.
 *
 * ```ts
 * import { describeBackendConformance } from '@gradscope/testkit/conformance';
 *
 * describeBackendConformance({ name: 'tfjs', factory: () => createTfjsBackend(), resourceCount: () => tf.memory().numTensors });
 * ```
 */
export function describeBackendConformance(options: ConformanceOptions): void {
  describe(`${options.name} conformance`, async () => {
    const sections = await planConformance(options);
    for (const section of sections) {
      if (section.skip) {
        it.skip(skipped(section.title, section.skip), () => {});
        continue;
      }
      describe(section.title, () => {
        for (const c of section.checks) {
          if (c.skip) {
            it.skip(skipped(c.title, c.skip), () => {});
            continue;
          }
          const run = async (): Promise<void> => {
            const result = await c.run();
            if (!result.pass) throw new ConformanceFailure(c.title, result);
          };
          if (section.id === 'sweep') it(c.title, run, SWEEP_TIMEOUT_MS);
          else it(c.title, run);
        }
      });
    }
  });
}
