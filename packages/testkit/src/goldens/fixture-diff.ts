/**
 * Where a regenerated fixture differs from the committed one (the first few places): structure exactly, each tensor
 * (an array of numbers) to `tolerance` of its own largest magnitude, as the conformance suite compares. Per-element
 * relative checks fail on analytically zero gradients that another BLAS rounds to 3e-16 beside values of 0.03.
 */
export function fixtureDifferences(
  regenerated: unknown,
  committed: unknown,
  options: { tolerance?: number; ignore?: readonly string[] } = {},
): string[] {
  const tolerance = options.tolerance ?? 1e-10;
  const ignore = new Set(options.ignore ?? []);
  const out: string[] = [];
  const walk = (a: unknown, b: unknown, path: string): void => {
    if (out.length >= 6 || ignore.has(path)) return;
    if (typeof a === 'number' && typeof b === 'number') {
      if (!close([a], [b], tolerance)) out.push(`${path}: ${a} vs ${b}`);
    } else if (isNumbers(a) && isNumbers(b) && a.length === b.length) {
      if (!close(a, b, tolerance)) {
        const i = worst(a, b);
        out.push(`${path}: max |Δ| ${Math.abs(a[i]! - b[i]!)} at [${i}] (${a[i]} vs ${b[i]}) > ${tolerance} × max |committed| ${maxAbs(b)}`);
      }
    } else if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
      a.forEach((v, i) => walk(v, b[i], `${path}[${i}]`));
    } else if (isRecord(a) && isRecord(b)) {
      const keys = Object.keys(a);
      if (keys.join() !== Object.keys(b).join()) out.push(`${path}: keys ${keys.join()} vs ${Object.keys(b).join()}`);
      else for (const k of keys) walk(a[k], b[k], `${path}.${k}`);
    } else if (a !== b) out.push(`${path}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  };
  walk(regenerated, committed, '$');
  return out;
}

const isNumbers = (v: unknown): v is number[] => Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number');
const isRecord = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const maxAbs = (v: readonly number[]): number => v.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
const worst = (a: readonly number[], b: readonly number[]): number =>
  a.reduce((w, x, i) => (Math.abs(x - b[i]!) > Math.abs(a[w]! - b[w]!) ? i : w), 0);

// A floor of 1e-300 keeps an all-zero committed tensor exact without dividing by zero.
function close(a: readonly number[], b: readonly number[], tolerance: number): boolean {
  const scale = Math.max(maxAbs(b), 1e-300);
  return a.every((x, i) => Math.abs(x - b[i]!) <= tolerance * scale);
}
