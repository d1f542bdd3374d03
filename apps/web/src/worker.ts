/// <reference lib="webworker" />
import { runWorkload, type RecordedWorkload, type WorkloadOutcome } from '@gradscope/compare/browser';
import { NotSupportedError } from '@gradscope/core';
import { buildWorkload } from './experiment.js';
import { fetchMnistDigits } from './mnist-digits.js';
import type { RunRequest, WorkerMessage } from './protocol.js';
import { createWebBackend } from './runtimes.js';

// One backend's run: build the workload the CLI would build, train it, post the outcome as it grows.

const scope = self as unknown as DedicatedWorkerGlobalScope;
const post = (m: WorkerMessage): void => scope.postMessage(m);
/** Enough for smooth charts without flooding the page with copies of the outcome. */
const PROGRESS_MS = 100;

scope.onmessage = async (event: MessageEvent<RunRequest>) => {
  const { state, backend } = event.data;
  try {
    const b = await createWebBackend(backend, state.tfjs);
    const digits = state.experiment === 'mnist' ? await fetchMnistDigits() : undefined;
    const w = buildWorkload(state, digits);
    const workload: RecordedWorkload = { experiment: w.experiment, label: w.label, spec: w.spec, depth: w.depth, time: w.time, mnist: w.mnist, cures: w.cures };
    post({ type: 'ready', backend, info: { name: backend, runtime: b.runtime, semantics: b.supports.semantics }, workload });
    let last = 0;
    const progress = (outcome: Readonly<WorkloadOutcome>): void => {
      const now = performance.now();
      if (now - last < PROGRESS_MS) return;
      last = now;
      post({ type: 'progress', backend, outcome });
    };
    const outcome = await runWorkload(b, w, true, false, progress);
    post({ type: 'done', backend, outcome });
    await b.dispose();
  } catch (err) {
    post({ type: 'failed', backend, kind: err instanceof NotSupportedError ? 'unsupported' : 'failed', reason: err instanceof Error ? err.message : String(err) });
  }
};
