import { join } from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomic } from '@gradscope/core/node';
import { createBackend, findBackendEntry } from '../backends.js';
import { inWorker } from '../bench/isolated.js';
import { renderBenchMarkdown } from '../bench/markdown.js';
import { runBench } from '../bench/run.js';
import { workloads } from '../bench/workloads.js';
import { UsageError } from '../cli-errors.js';
import { stringifyJson } from '../io.js';
import { writeAll, type CliIO } from '../output.js';
import { assertReportDirWritable } from '../reporting/write.js';

interface BenchFlags {
  backends: string;
  only?: string;
  filter?: string;
  outDir: string;
  torch: boolean;
  time: string;
  iterations: string;
}

function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`${flag}: expected a positive integer, got "${value}"`);
  return n;
}

/** Backends whose runtime takes a thread count; brain.js and the reference run on the one JS thread. */
const threadedBackends = new Set(['tfjs', 'onnx', 'onnx-node']);

/** `gradscope bench`: training-step medians per backend vs hand-written runtime code and PyTorch; never fails on speed. */
export function registerBench(program: Command, io: CliIO): void {
  program
    .command('bench')
    .description('measure training-step time per backend (monitor off/on), against hand-written runtime code and PyTorch; write BENCHMARKS.md and bench/results.json')
    .option('--backends <list>', 'comma-separated backends', 'tfjs,onnx,onnx-node,brain')
    .option('--only <ids>', `comma-separated workload ids (default: all): ${workloads.map((w) => w.id).join(', ')}`)
    .option('--filter <substring>', 'only rows whose backend/workload id contains this, e.g. onnx/lstm-h32-t50 or 16x64')
    .option('--out-dir <dir>', 'where BENCHMARKS.md and bench/results.json go', '.')
    .option('--no-torch', 'skip the PyTorch column')
    .option('--time <ms>', 'minimum measuring time per measurement, ms', '1000')
    .option('--iterations <n>', 'minimum measured steps per measurement', '10')
    .action(async (flags: BenchFlags) => {
      const names = flags.backends.split(',').map((b) => b.trim()).filter(Boolean);
      for (const name of names) findBackendEntry(name);
      const ids = flags.only?.split(',').map((s) => s.trim()).filter(Boolean);
      const unknown = ids?.filter((id) => !workloads.some((w) => w.id === id)) ?? [];
      if (unknown.length) throw new UsageError(`--only: unknown workload ${unknown.join(', ')} (expected ${workloads.map((w) => w.id).join('|')})`);
      const budget = { timeMs: positiveInt('--time', flags.time), minIterations: positiveInt('--iterations', flags.iterations), warmupIterations: 3 };
      await assertReportDirWritable(join(flags.outDir, 'bench'));
      const progress = (line: string): void => void io.stderr.write(`bench: ${line}\n`);
      const results = await runBench({
        // Each backend in a fresh worker thread: runtimes measured one after another in one isolate slow each other.
        backends: names.map((name) => {
          const options = (threads: number) => (threadedBackends.has(name) ? { threads } : undefined);
          return { name, create: (threads: number) => createBackend(name, options(threads)), isolated: inWorker(name, options(1), progress) };
        }),
        workloads: ids ? workloads.filter((w) => ids.includes(w.id)) : workloads,
        ...(flags.filter === undefined ? {} : { filter: flags.filter }),
        budget,
        torch: flags.torch,
        onProgress: progress,
      });
      const markdown = renderBenchMarkdown(results);
      await writeFileAtomic(join(flags.outDir, 'bench', 'results.json'), `${stringifyJson(results)}\n`);
      await writeFileAtomic(join(flags.outDir, 'BENCHMARKS.md'), markdown);
      await writeAll(io.stdout, `${markdown}\nWrote ${join(flags.outDir, 'BENCHMARKS.md')} and ${join(flags.outDir, 'bench', 'results.json')}\n`);
    });
}
