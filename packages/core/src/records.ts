/**
 * An empty object without a prototype, for maps whose keys come from files (tensor names, optimizer slots).
 * On a plain `{}` a key such as `__proto__` or `constructor` reaches `Object.prototype` (or `Object`) instead
 * of a new entry: `(slots['__proto__'] ??= {})['stem.weight'] = x` would set `Object.prototype['stem.weight']`.
 */
export function nullRecord<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}
