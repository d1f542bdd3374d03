// A compare worker thread: rebuilds the workloads, creates backends on first use, runs the jobs it is sent.
import { parentPort, workerData } from 'node:worker_threads';
import type { Backend } from '@gradscope/core';
import { createBackend } from '../backends.js';
import { failure, workloadsOf, type Job, type JobOutcome, type WorkloadSource } from './jobs.js';
import { runWorkload } from './run-workload.js';

const port = parentPort!;
const workloads = workloadsOf(workerData as WorkloadSource);
const backends = new Map<string, Promise<Backend>>();

async function backend(name: string): Promise<Backend> {
  let b = backends.get(name);
  if (!b) {
    b = createBackend(name);
    backends.set(name, b);
  }
  return b;
}

port.on('message', (message: Job | 'close') => {
  if (message === 'close') {
    void (async () => {
      for (const b of backends.values()) await (await b).dispose();
      process.exit(0); // ends this thread only; a runtime may keep a handle open otherwise
    })();
    return;
  }
  void (async () => {
    let result: JobOutcome;
    try {
      result = { ok: true, outcome: await runWorkload(await backend(message.backend), workloads[message.workload]!, message.train, message.spread) };
    } catch (err) {
      result = failure(err);
    }
    port.postMessage(result);
  })();
});
