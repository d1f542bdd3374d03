import type { Command } from 'commander';
import { writeAll, type CliIO } from '../output.js';

/** Registered so `gradscope bench --help` works; the benchmarks themselves belong to the bench issue. */
export function registerBench(program: Command, io: CliIO): void {
  program
    .command('bench')
    .description('benchmarks (not here yet: they arrive with the bench issue; `gradscope compare` reports training-step times meanwhile)')
    .action(async () => {
      await writeAll(io.stdout, 'gradscope bench: no benchmarks yet — they arrive with the bench issue.\nFor training-step times per backend, run `gradscope compare` (its Speed section).\n');
    });
}
