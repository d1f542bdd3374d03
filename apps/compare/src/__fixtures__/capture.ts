import { Writable } from 'node:stream';
import { main } from '../main.js';

/** Runs the CLI in this process and captures what it prints, for tests that would otherwise spawn node per case. */
export async function runInProcess(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const sink = (into: string[]): Writable =>
    new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        into.push(String(chunk));
        done();
      },
    });
  const code = await main(args, { stdout: sink(out), stderr: sink(err) });
  return { code, stdout: out.join(''), stderr: err.join('') };
}
