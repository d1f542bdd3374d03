import type { RecordedWorkload, WorkloadOutcome } from '@gradscope/compare/browser';
import type { BackendInfo } from '@gradscope/compare/browser';
import type { PageState, WebBackend } from './state.js';

// Messages between the page and a training worker (one worker per backend, so the runtimes train side by side).

export interface RunRequest {
  state: PageState;
  backend: WebBackend;
}

export type WorkerMessage =
  /** The backend is up and the workload built; `info` is what results.json records about the workload. */
  | { type: 'ready'; backend: WebBackend; info: BackendInfo; workload: RecordedWorkload }
  /** The outcome so far: gradients at init, then after every step (throttled). */
  | { type: 'progress'; backend: WebBackend; outcome: WorkloadOutcome }
  | { type: 'done'; backend: WebBackend; outcome: WorkloadOutcome }
  | { type: 'failed'; backend: WebBackend; kind: 'unsupported' | 'failed'; reason: string };
