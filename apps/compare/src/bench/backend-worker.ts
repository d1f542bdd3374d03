// A bench worker thread: measures one backend's rows in a fresh isolate and posts them back.
import { parentPort, workerData } from 'node:worker_threads';
import { createBackend } from '../backends.js';
import type { Budget } from './measure.js';
import { measureBackend } from './run.js';
import { workloads } from './workloads.js';

export interface BenchWorkerData {
  readonly name: string;
  readonly options?: Readonly<Record<string, unknown>>;
  readonly workloadIds: readonly string[];
  readonly budget: Budget;
}

const job = workerData as BenchWorkerData;
const entry = { name: job.name, create: (threads: number) => createBackend(job.name, job.options ? { ...job.options, threads } : undefined) };
const mine = workloads.filter((w) => job.workloadIds.includes(w.id));
measureBackend(entry, mine, job.budget, (line) => parentPort!.postMessage({ progress: line })).then(
  (measured) => {
    parentPort!.postMessage({ measured });
    process.exit(0); // ends this thread only; a runtime may keep a handle open otherwise
  },
  (err: unknown) => {
    parentPort!.postMessage({ error: err instanceof Error ? err.message : String(err) });
    process.exit(0);
  },
);
