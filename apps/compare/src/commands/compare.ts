import { Option, type Command } from 'commander';
import { GradscopeError } from '@gradscope/core';
import { findBackendEntry } from '../backends.js';
import { UsageError } from '../cli-errors.js';
import { checkOnlyPattern, compare, defaultWorkers } from '../compare/compare.js';
import { suiteNames, type SuiteName } from '../compare/suites.js';
import { experiments, type Experiment } from '../compare/workloads.js';
import { formatTextTable, resultTables } from '../compare/tables.js';
import { writeAll, type CliIO } from '../output.js';
import { createProgressView } from '../progress.js';
import { assertReportDirWritable, writeReport } from '../reporting/write.js';

/** Some runs threw: the report is written (with the reasons), but the command must not look successful. */
class CompareRunsFailedError extends GradscopeError {
  constructor(count: number) {
    super('RUNS_FAILED', `${count} run${count === 1 ? '' : 's'} failed; see "Not run" above and in the report`);
  }
}

interface CompareFlags {
  backends?: string;
  suite: SuiteName;
  experiments?: string;
  out: string;
  seed: string;
  only?: string;
  workers?: string;
}

function parseExperiments(value: string): Experiment[] {
  const names = value.split(',').map((e) => e.trim()).filter(Boolean);
  const unknown = names.filter((e) => !(experiments as readonly string[]).includes(e));
  if (unknown.length > 0 || names.length === 0) {
    throw new UsageError(`--experiments: expected a comma-separated list of ${experiments.join('|')}, got "${value}"`);
  }
  return names as Experiment[];
}

function parseSeed(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`--seed: expected a non-negative integer, got "${value}"`);
  return n;
}

function parseWorkers(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1 || n > 16) throw new UsageError(`--workers: expected a whole number from 1 to 16, got "${value}"`);
  return n;
}

export function registerCompare(program: Command, io: CliIO): void {
  program
    .command('compare')
    .description('run the depth (plain vs residual), time (RNN vs GRU vs LSTM), depth-on-MNIST (plain vs ResNet conv nets) and cures (initialization, activation, clipping) experiments on several backends; print one verdict per claim, the tables, and write an HTML report')
    .option('--backends <list>', 'comma-separated backends, e.g. tfjs,onnx,brain (default: every adapter that loads here)')
    .addOption(new Option('--suite <name>', 'smoke (seconds), quick (about two minutes), full (to convergence)').choices(suiteNames).default('quick'))
    .option('--experiments <list>', `comma-separated experiments to run: ${experiments.join(', ')} (default: all)`)
    .option('--out <dir>', 'report folder (index.html and results.json)', 'report')
    .option('--seed <n>', 'seed of the initial weights and the data', '0')
    .option('--only <regex>', "run only the workloads whose label matches, e.g. 'T=200' or '^(gru|lstm chrono\\S*) T=100'")
    .option('--workers <n>', `worker threads running backends side by side (default ${defaultWorkers()}: one per core, at most 2)`)
    .action(async (flags: CompareFlags) => {
      const backends = flags.backends
        ?.split(',')
        .map((b) => b.trim())
        .filter(Boolean);
      const seed = parseSeed(flags.seed);
      const picked = flags.experiments === undefined ? undefined : parseExperiments(flags.experiments);
      const workers = flags.workers === undefined ? defaultWorkers() : parseWorkers(flags.workers);
      for (const name of backends ?? []) findBackendEntry(name); // usage errors before touching the disk
      if (flags.only !== undefined) checkOnlyPattern(flags.only);
      await assertReportDirWritable(flags.out);
      const view = createProgressView(io);
      let results;
      try {
        results = await compare({ suite: flags.suite, seed, workers, ...(flags.only !== undefined && { only: flags.only }), onProgress: (e) => view.update(e), ...(backends && { backends }), ...(picked && { experiments: picked }) });
      } finally {
        view.stop();
      }
      const claims = results.verdicts.map((v) => `  ${v.text}`).join('\n');
      const degradation = results.mnist.degradation.verdicts.map((v) => v.text).join('\n');
      const tables = resultTables(results).map(formatTextTable).join('\n\n') + (degradation ? `\n\n${degradation}` : '');
      const files = await writeReport(results, flags.out);
      const shown = results.verdicts.filter((v) => v.shown).length;
      const only = results.only === undefined ? '' : `, runs matching /${results.only}/`;
      const head = `Verdicts (${shown} of ${results.verdicts.length} claims shown on every backend; ${results.suite.name} suite${only}, seed ${results.seed}, ${(results.durationMs / 1000).toFixed(0)} s):\n${claims}`;
      await writeAll(io.stdout, `${head}\n\n${tables}\n\n${head}\n\nReport: ${files.html}\nNumbers: ${files.json}\n`);
      const failed = results.skipped.filter((s) => s.kind === 'failed');
      if (failed.length > 0) throw new CompareRunsFailedError(failed.length);
    });
}
