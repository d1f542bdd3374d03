import type { z } from 'zod';
import type { Issue } from './errors.js';
import { previewJson } from './json-preview.js';

/** `['block', 'activation']` -> `block.activation`, `['betas', 1]` -> `betas[1]`. */
export function jsonPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

function show(value: unknown): string {
  // Bounded preview: a deeply nested input must not overflow the stack while the error is being described.
  return value === undefined ? 'nothing' : previewJson(value);
}

/** Turns zod's issues into path + message pairs that name the allowed values and what was given. */
export function toIssues(error: z.core.$ZodError, prefix: readonly PropertyKey[] = []): Issue[] {
  const issues: Issue[] = [];
  for (const raw of error.issues) {
    const issue = raw as z.core.$ZodIssue & { input?: unknown };
    const path = [...prefix, ...issue.path];
    switch (issue.code) {
      case 'invalid_value':
        issues.push({ path: jsonPath(path), message: `expected one of ${issue.values.map((v) => (typeof v === 'string' ? v : show(v))).join('|')}, got ${show(issue.input)}` });
        break;
      case 'unrecognized_keys':
        for (const key of issue.keys) issues.push({ path: jsonPath([...path, key]), message: 'unknown field' });
        break;
      case 'invalid_type':
        issues.push({ path: jsonPath(path), message: issue.input === undefined ? `required ${issue.expected} is missing` : `expected ${issue.expected}, got ${show(issue.input)}` });
        break;
      case 'too_small':
        issues.push({ path: jsonPath(path), message: `must be ${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}, got ${show(issue.input)}` });
        break;
      case 'too_big':
        issues.push({ path: jsonPath(path), message: `must be ${issue.inclusive ? '<=' : '<'} ${String(issue.maximum)}, got ${show(issue.input)}` });
        break;
      default:
        issues.push({ path: jsonPath(path), message: issue.message });
    }
  }
  return issues;
}
