import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseSpec } from '@gradscope/core';
import type { Workload } from './workloads.js';

export interface TorchBaseline {
  readonly version: string;
  readonly threads: number;
  readonly blas: string;
  readonly matmul512Gflops: number;
  readonly medians: Record<string, number>;
}

export type TorchOutcome = { readonly available: true; readonly baseline: TorchBaseline } | { readonly available: false; readonly reason: string };

const python = '/usr/bin/python3';
const script = fileURLToPath(new URL('../../bench/torch_bench.py', import.meta.url));

/**
 * Runs the PyTorch eager CPU baseline (Debian's python3-torch) with the same thread count as the JS runtimes.
 * BLAS threads are capped through the environment: torch.set_num_threads alone does not cap OpenBLAS.
 */
export function runTorchBaseline(workloads: readonly Workload[], threads: number, minTimeS: number, minIterations: number): TorchOutcome {
  if (!existsSync(python)) return { available: false, reason: `${python} not found (install python3-torch to get this column)` };
  if (!existsSync(script)) return { available: false, reason: `${script} not found` };
  const request = {
    threads,
    minTime: minTimeS,
    minIterations,
    workloads: workloads.map((w) => ({ id: w.id, batch: w.batch, steps: w.steps, spec: parseSpec(w.spec) })),
  };
  const env = { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
  const run = spawnSync(python, [script], { input: JSON.stringify(request), env, encoding: 'utf8', maxBuffer: 16 << 20 });
  if (run.status !== 0) {
    const why = /No module named 'torch'/.test(run.stderr) ? 'python3-torch is not installed' : run.stderr.trim().split('\n').at(-1) ?? `exit ${run.status}`;
    return { available: false, reason: why };
  }
  const out = JSON.parse(run.stdout) as { version: string; threads: number; blas: string; matmul512Gflops: number; results: { id: string; medianMs: number }[] };
  return {
    available: true,
    baseline: {
      version: out.version,
      threads: out.threads,
      blas: out.blas,
      matmul512Gflops: out.matmul512Gflops,
      medians: Object.fromEntries(out.results.map((r) => [r.id, r.medianMs])),
    },
  };
}
