import { Worker } from 'node:worker_threads';
import { workerUrl } from '../worker-url.js';
import type { BenchWorkerData } from './backend-worker.js';
import type { Budget } from './measure.js';
import type { MeasuredBackend } from './run.js';

/** Measures one registry backend in its own worker thread (see `BenchBackend.isolated`). */
export function inWorker(name: string, options: Readonly<Record<string, unknown>> | undefined, log: (line: string) => void) {
  return (workloadIds: readonly string[], budget: Budget): Promise<MeasuredBackend> =>
    new Promise((resolve, reject) => {
      const data: BenchWorkerData = { name, workloadIds, budget, ...(options ? { options } : {}) };
      const worker = new Worker(workerUrl(import.meta.url, 'bench/backend-worker.js'), { workerData: data });
      // A settled promise ignores later calls, so the exit after a result is harmless.
      worker.on('message', (m: { progress?: string; measured?: MeasuredBackend; error?: string }) => {
        if (m.progress) log(m.progress);
        if (m.measured) resolve(m.measured);
        if (m.error) reject(new Error(`bench ${name}: ${m.error}`));
      });
      worker.on('error', reject);
      worker.on('exit', (code) => reject(new Error(`bench ${name}: its worker exited with code ${code} before reporting`)));
    });
}
