import { Command } from 'commander';
import { registerBench } from './commands/bench.js';
import { registerCompare } from './commands/compare.js';
import { registerExport } from './commands/export.js';
import { registerProbe } from './commands/probe.js';
import { registerReport } from './commands/report.js';
import { registerTrain } from './commands/train.js';
import { processIO, type CliIO } from './output.js';
import { VERSION } from './version.js';

/** The `gradscope` command line. Parse errors throw `CommanderError` (see `main`), never exit the process. */
export function createProgram(io: CliIO = processIO): Command {
  const program = new Command('gradscope')
    .description('see where gradients vanish: residual vs plain nets and RNN vs GRU vs LSTM on TensorFlow.js, ONNX Runtime Web and brain.js')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });
  registerCompare(program, io);
  registerTrain(program, io);
  registerProbe(program, io);
  registerExport(program, io);
  registerReport(program, io);
  registerBench(program, io);
  return program;
}
