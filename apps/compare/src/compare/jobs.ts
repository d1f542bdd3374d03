import { Worker } from 'node:worker_threads';
import { workerUrl } from '../worker-url.js';
import { NotSupportedError, type Backend } from '@gradscope/core';
import { loadMnistDigits } from './mnist.js';
import { runWorkload, type WorkloadOutcome } from './run-workload.js';
import { suites, type SuiteName } from './suites.js';
import { buildWorkloads, type Experiment, type Workload } from './workloads.js';

/** One run: a workload (by index in `buildWorkloads`' list) on one backend. */
export interface Job {
  workload: number;
  backend: string;
  /** Train after the gradients at init (the reference only gives gradients for agreement). */
  train: boolean;
  /** The reference on conv nets: measure its own float32-sized spread. */
  spread: boolean;
}

export type JobOutcome = { ok: true; outcome: WorkloadOutcome } | { ok: false; kind: 'unsupported' | 'failed'; reason: string };

/** Runs jobs; `close` releases whatever it holds (worker threads, their backends). */
export interface JobRunner {
  run(job: Job): Promise<JobOutcome>;
  close(): Promise<void>;
}

/** What a worker needs to rebuild the very same workloads: they are deterministic in (suite, seed, experiments). */
export interface WorkloadSource {
  suite: SuiteName;
  seed: number;
  experiments: readonly Experiment[];
  /** `buildWorkloads`' label filter. */
  only?: string;
}

export function failure(err: unknown): JobOutcome {
  return { ok: false, kind: err instanceof NotSupportedError ? 'unsupported' : 'failed', reason: err instanceof Error ? err.message : String(err) };
}

/** Runs every job in this thread on the given backends (custom backend factories cannot cross into a worker). */
export function inProcessRunner(workloads: readonly Workload[], backends: ReadonlyMap<string, Backend>): JobRunner {
  return {
    async run(job) {
      try {
        return { ok: true, outcome: await runWorkload(backends.get(job.backend)!, workloads[job.workload]!, job.train, job.spread) };
      } catch (err) {
        return failure(err);
      }
    },
    async close() {},
  };
}

/** The compiled worker entry; under vitest this module is TypeScript source, so it points at the build. */

interface Pending {
  resolve(o: JobOutcome): void;
  reject(e: Error): void;
}

/**
 * `count` worker threads, each creating its own backends on first use and rebuilding the workloads from `source`.
 * A job goes to whichever worker is free, so two single-threaded runtimes keep two cores busy.
 */
export function workerPoolRunner(count: number, source: WorkloadSource): JobRunner {
  const workers = Array.from({ length: count }, () => new Worker(workerUrl(import.meta.url, 'compare/worker.js'), { workerData: source }));
  const idle = [...workers];
  const waiting: (() => void)[] = [];
  const pending = new Map<Worker, Pending>();
  for (const w of workers) {
    w.on('message', (m: JobOutcome) => {
      const p = pending.get(w);
      pending.delete(w);
      idle.push(w);
      waiting.shift()?.();
      p?.resolve(m);
    });
    w.on('error', (err) => {
      const p = pending.get(w);
      pending.delete(w);
      p?.reject(err);
    });
  }
  const free = async (): Promise<Worker> => {
    while (idle.length === 0) await new Promise<void>((resolve) => waiting.push(resolve));
    return idle.shift()!;
  };
  return {
    async run(job) {
      const w = await free();
      return new Promise<JobOutcome>((resolve, reject) => {
        pending.set(w, { resolve, reject });
        w.postMessage(job);
      });
    },
    async close() {
      await Promise.all(
        workers.map(
          (w) =>
            new Promise<void>((resolve) => {
              w.once('exit', () => resolve());
              w.postMessage('close');
            }),
        ),
      );
    },
  };
}

/** The suite settings a source names (workers look them up by name). */
export function workloadsOf(source: WorkloadSource): Workload[] {
  return buildWorkloads(suites[source.suite], source.seed, source.experiments, loadMnistDigits, source.only);
}
