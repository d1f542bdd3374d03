const BARS = '▁▂▃▄▅▆▇█';

/**
 * A one-line picture of a norm series on a log scale: `▁` is the row's smallest positive value, `█` its largest.
 * A zero prints as a space and a non-finite value as `!`, so an exploding step is never drawn as a bar.
 */
export function sparkline(values: readonly number[]): string {
  const logs = values.filter((v) => Number.isFinite(v) && v > 0).map(Math.log10);
  const lo = Math.min(...logs);
  const hi = Math.max(...logs);
  return values
    .map((v) => {
      if (!Number.isFinite(v)) return '!';
      if (v <= 0) return ' ';
      const level = hi > lo ? Math.round(((Math.log10(v) - lo) / (hi - lo)) * (BARS.length - 1)) : BARS.length - 1;
      return BARS[level]!;
    })
    .join('');
}

/** The same series squeezed to at most `width` characters by taking evenly spaced samples (first and last kept). */
export function sample<T>(values: readonly T[], width: number): T[] {
  if (values.length <= width) return [...values];
  return Array.from({ length: width }, (_, i) => values[Math.round((i * (values.length - 1)) / (width - 1))]!);
}

/** `3e-9…2e-1`: the smallest and largest finite positive values of the series. */
export function range(values: readonly number[]): string {
  const finite = values.filter((v) => Number.isFinite(v) && v > 0);
  if (finite.length === 0) return 'no positive values';
  const f = (v: number): string => v.toExponential(0).replace('+', '');
  return `${f(Math.min(...finite))}…${f(Math.max(...finite))}`;
}
