import type { Writable } from 'node:stream';

/** Where a command writes: stdout for results, stderr for progress and warnings. Tests pass their own. */
export interface CliIO {
  readonly stdout: Writable & { isTTY?: boolean };
  readonly stderr: Writable & { isTTY?: boolean };
}

export const processIO: CliIO = { stdout: process.stdout, stderr: process.stderr };

/** Resolves once the text is handed to the OS, so exiting right after cannot cut a piped result short. */
export function writeAll(stream: Writable, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(text, (err) => (err ? reject(err) : resolve()));
  });
}
