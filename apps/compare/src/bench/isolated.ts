import { Worker } from 'node:worker_threads';
import type { BenchWorkerData } from './backend-worker.js';
import type { Budget } from './measure.js';
import type { MeasuredBackend } from './run.js';

function workerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts') ? new URL('../../dist/bench/backend-worker.js', here) : new URL('./backend-worker.js', here);
}

/** Measures one registry backend in its own worker thread (see `BenchBackend.isolated`). */
export function inWorker(name: string, options: Readonly<Record<string, unknown>> | undefined, log: (line: string) => void) {
  return (workloadIds: readonly string[], budget: Budget): Promise<MeasuredBackend> =>
    new Promise((resolve, reject) => {
      const data: BenchWorkerData = { name, workloadIds, budget, ...(options ? { options } : {}) };
      const worker = new Worker(workerUrl(), { workerData: data });
      let done = false;
      worker.on('message', (m: { progress?: string; measured?: MeasuredBackend; error?: string }) => {
        if (m.progress) log(m.progress);
        if (m.measured) (done = true), resolve(m.measured);
        if (m.error) (done = true), reject(new Error(`bench ${name}: ${m.error}`));
      });
      worker.on('error', (e) => (done = true) && reject(e));
      worker.on('exit', (code) => {
        if (!done) reject(new Error(`bench ${name}: its worker exited with code ${code} before reporting`));
      });
    });
}
