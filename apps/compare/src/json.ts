// Browser-safe: the web page writes results.json with it too.

/**
 * JSON.stringify that keeps non-finite numbers visible as the strings "NaN", "Infinity" and "-Infinity"
 * (plain JSON would print null and hide a diverged gradient).
 */
export function stringifyJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), indent);
}
