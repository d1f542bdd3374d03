import { CommanderError } from 'commander';
import { EXIT_USAGE, exitCodeFor, formatError } from './cli-errors.js';
import { processIO, writeAll, type CliIO } from './output.js';
import { createProgram } from './program.js';

/**
 * Runs the CLI and returns the exit code: 0 success, 1 runtime error, 2 usage error (bad flag, unknown backend).
 * Errors print as one clear message; the stack only with GRADSCOPE_DEBUG=1.
 */
export async function main(argv: readonly string[], io: CliIO = processIO): Promise<number> {
  const program = createProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    // commander has already printed its message and the usage hint
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT_USAGE;
    const debug = process.env['GRADSCOPE_DEBUG'] === '1' && err instanceof Error ? `\n${err.stack ?? ''}` : '';
    await writeAll(io.stderr, `gradscope: error: ${formatError(err)}${debug}\n`);
    return exitCodeFor(err);
  }
}
