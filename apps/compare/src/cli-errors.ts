import { constants } from 'node:os';
import { GradscopeError } from '@gradscope/core';
import { describeFileError, errnoCode } from '@gradscope/core/node';

/** The command line itself is wrong (unknown backend, bad option value): exit code 2, like a bad flag. */
export class UsageError extends GradscopeError {
  constructor(message: string) {
    super('USAGE', message);
  }
}

export type StopSignal = 'SIGINT' | 'SIGTERM';

/** 128 + the signal's number, as a shell reports a process ended by it: 130 for SIGINT, 143 for SIGTERM. */
export function signalExitCode(signal: StopSignal): number {
  return 128 + constants.signals[signal];
}

/** Stopped by a signal after saving what was asked: exits with `signalExitCode`. */
export class InterruptedError extends GradscopeError {
  readonly exitCode: number;
  constructor(signal: StopSignal, message: string) {
    super('INTERRUPTED', message);
    this.exitCode = signalExitCode(signal);
  }
}

export const EXIT_RUNTIME = 1;
export const EXIT_USAGE = 2;

export function exitCodeFor(err: unknown): number {
  if (err instanceof InterruptedError) return err.exitCode;
  return err instanceof UsageError ? EXIT_USAGE : EXIT_RUNTIME;
}

/**
 * One line (or a short list) for the user: gradscope errors carry their own message (JSON paths, parameter
 * names); file-system errors are rephrased without Node's errno noise. Stack traces only with GRADSCOPE_DEBUG=1.
 */
export function formatError(err: unknown): string {
  if (err instanceof GradscopeError) return err.message;
  if (errnoCode(err) !== undefined) {
    const path = (err as { path?: unknown }).path;
    return `${typeof path === 'string' ? `${path}: ` : ''}${describeFileError(err)}`;
  }
  return err instanceof Error ? err.message : String(err);
}
