import { GradscopeError } from '@gradscope/core';

/** The command line itself is wrong (unknown backend, bad option value): exit code 2, like a bad flag. */
export class UsageError extends GradscopeError {
  constructor(message: string) {
    super('USAGE', message);
  }
}

export const EXIT_RUNTIME = 1;
export const EXIT_USAGE = 2;

export function exitCodeFor(err: unknown): number {
  return err instanceof UsageError ? EXIT_USAGE : EXIT_RUNTIME;
}

interface SystemError extends Error {
  code?: string;
  path?: string;
}

const systemMessages: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'a parent is not a directory',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
};

/** The reason of a file-system error without its path ("no such file or directory"), or the error's message. */
export function systemReason(err: unknown): string {
  const sys = err as SystemError;
  if (sys && typeof sys.code === 'string' && systemMessages[sys.code]) return systemMessages[sys.code]!;
  return err instanceof Error ? err.message : String(err);
}

/**
 * One line (or a short list) for the user: gradscope errors carry their own message (JSON paths, parameter
 * names); file-system errors are rephrased without Node's errno noise. Stack traces only with GRADSCOPE_DEBUG=1.
 */
export function formatError(err: unknown): string {
  if (err instanceof GradscopeError) return err.message;
  if (err instanceof Error) {
    const sys = err as SystemError;
    if (sys.code && systemMessages[sys.code]) return `${sys.path ? `${sys.path}: ` : ''}${systemMessages[sys.code]}`;
    return err.message;
  }
  return String(err);
}
