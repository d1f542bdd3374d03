import { dirname } from 'node:path';
import type { Command } from 'commander';
import type { CompareResults } from '../compare/results.js';
import { computeVerdicts } from '../compare/verdicts.js';
import { experiments } from '../compare/workloads.js';
import { InputFileError, readJsonFile } from '../io.js';
import { writeAll, type CliIO } from '../output.js';
import { checkResults } from '../reporting/results-schema.js';
import { assertReportDirWritable, writeReport } from '../reporting/write.js';

const MAX_LISTED = 10;

/**
 * Checks that a parsed file is a `gradscope compare` results.json (`checkResults`: every field the report reads, by
 * JSON path); results from earlier versions get today's fields filled in.
 */
export function asCompareResults(value: unknown, path: string): CompareResults {
  const checked = checkResults(value);
  if (!checked.ok) {
    const listed = checked.issues.slice(0, MAX_LISTED).map((i) => `${i.path || '(root)'}: ${i.message}`);
    if (checked.issues.length > MAX_LISTED) listed.push(`and ${checked.issues.length - MAX_LISTED} more`);
    throw new InputFileError(`"${path}" is not a gradscope compare results.json: ${listed.join('; ')}`);
  }
  // every field is typed now; those of later versions that are missing are filled in next
  return upgradeResults(checked.results as CompareResults);
}

/** Fills in what results.json files of earlier versions lack, so an old report renders with today's code. */
function upgradeResults(results: CompareResults): CompareResults {
  results.cures ??= { init: [], clipping: [] };
  for (const run of results.time.runs) {
    run.forgetGate ??= 'pytorch';
    run.seed ??= results.seed;
    run.gradSnapshots ??= [];
    run.testMseCurve ??= [];
  }
  for (const row of results.agreement.rows) row.underflow ??= 0;
  results.workers ??= 1;
  if (!Array.isArray(results.experiments)) {
    results.experiments = experiments.filter((e) => (e === 'cures' ? results.cures.init.length + results.cures.clipping.length : results[e].runs.length) > 0);
  }
  results.verdicts ??= computeVerdicts(results);
  return results;
}

export function registerReport(program: Command, io: CliIO): void {
  program
    .command('report')
    .description("rewrite the HTML report of a compare run from its results.json (after an upgrade, or for results someone sent you), without running anything")
    .argument('<results>', 'results.json written by gradscope compare')
    .option('--out <dir>', 'report folder (default: the folder of <results>)')
    .addHelpText('after', '\nExample:\n  gradscope report docs/reports/full/results.json --out /tmp/full')
    .action(async (path: string, flags: { out?: string }) => {
      const results = asCompareResults(await readJsonFile(path, 'results file'), path);
      const out = flags.out ?? dirname(path);
      await assertReportDirWritable(out);
      const files = await writeReport(results, out);
      await writeAll(io.stdout, `Report: ${files.html}\nNumbers: ${files.json}\n`);
    });
}
