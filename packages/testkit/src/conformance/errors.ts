import { describeError, type CheckLog } from './result.js';

/**
 * Runs `action` and checks it throws the gradscope error with `code` (compared by code and name, so two copies of
 * `@gradscope/core` in one install still agree). Returns the message, or undefined when the check failed.
 */
export async function expectGradscopeError(
  log: CheckLog,
  what: string,
  code: string,
  errorName: string,
  action: () => unknown,
): Promise<string | undefined> {
  try {
    await action();
  } catch (error) {
    const e = error as { code?: unknown; name?: unknown; message?: unknown };
    if (e.code === code && e.name === errorName) return String(e.message);
    log.fail(`${what}: expected ${errorName} (${code}), got ${describeError(error)}`);
    return undefined;
  }
  log.fail(`${what}: expected ${errorName} (${code}), but nothing was thrown`);
  return undefined;
}
