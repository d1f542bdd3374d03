/**
 * brain.js has no seed option and its constructors fill weights from `Math.random`. Running construction under
 * this seeded generator (mulberry32) makes it reproducible and leaves the caller's `Math.random` untouched.
 */
export function withSeededRandom<T>(seed: number, build: () => T): T {
  const original = Math.random;
  let state = seed >>> 0;
  Math.random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  try {
    return build();
  } finally {
    Math.random = original;
  }
}
