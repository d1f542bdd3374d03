import type { BackendFactory } from './models.js';
import type { SectionId } from './result.js';
import { sectionIds } from './result.js';

/**
 * How a backend runs the suite. There is deliberately no tolerance option: the tolerances are the contract
 * (CONFORMANCE_TOLERANCES), the same for every backend.
 */
export interface ConformanceOptions {
  /** Shown in the test names, e.g. `tfjs (wasm)`. */
  readonly name: string;
  /** Creates a fresh backend; each check gets its own and disposes it. */
  readonly factory: BackendFactory;
  /** The runtime's live resource count, e.g. `() => tf.memory().numTensors`; checked to return to its baseline. */
  readonly resourceCount?: () => number;
  /** Run only these sections (the rest are reported as skipped, with this option as the reason). */
  readonly only?: readonly SectionId[];
}

const known = new Set(['name', 'factory', 'resourceCount', 'only']);

/** Rejects options the suite does not know — above all a tolerance override — instead of ignoring them. */
export function checkOptions(options: ConformanceOptions): void {
  const unknown = Object.keys(options).filter((k) => !known.has(k));
  if (unknown.length) {
    const hint = unknown.some((k) => /tol/i.test(k)) ? ' (tolerances are the contract and cannot be overridden)' : '';
    throw new TypeError(`describeBackendConformance: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}${hint}`);
  }
  if (typeof options.name !== 'string' || typeof options.factory !== 'function') {
    throw new TypeError('describeBackendConformance: `name` (a string) and `factory` (a function returning a Backend) are required');
  }
  const badSection = (options.only ?? []).filter((s) => !(sectionIds as readonly string[]).includes(s));
  if (badSection.length) throw new TypeError(`describeBackendConformance: only: unknown section ${badSection.join(', ')} (expected ${sectionIds.join('|')})`);
}
