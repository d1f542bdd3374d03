/**
 * A short preview of a JSON value for error messages: bounded in depth, items and length, so a hostile input
 * (deeply nested, or megabytes long) can neither overflow the stack nor be copied whole into a message.
 */
export function previewJson(value: unknown, maxLength = 60): string {
  const text = preview(value, 3);
  return text.length > maxLength ? `${text.slice(0, maxLength - 3)}...` : text;
}

const MAX_ITEMS = 8;

function preview(value: unknown, depth: number): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value);
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : String(value);
  if (value === null || typeof value !== 'object') return String(value);
  if (Array.isArray(value)) {
    if (depth === 0) return value.length ? '[...]' : '[]';
    const items = value.slice(0, MAX_ITEMS).map((v) => preview(v, depth - 1));
    return `[${items.join(',')}${value.length > MAX_ITEMS ? ',...' : ''}]`;
  }
  const keys = Object.keys(value);
  if (depth === 0) return keys.length ? '{...}' : '{}';
  const items = keys.slice(0, MAX_ITEMS).map((k) => `${JSON.stringify(k)}:${preview((value as Record<string, unknown>)[k], depth - 1)}`);
  return `{${items.join(',')}${keys.length > MAX_ITEMS ? ',...' : ''}}`;
}
