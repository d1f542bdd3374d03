import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createSpiralsTask, initParams, parseSpec, train, type Backend, type GradientMonitor, type NetworkSpecInput } from '@gradscope/core';

export interface SoakOptions {
  readonly backend: Backend;
  /** Default: a 4-block width-8 tanh residual net on the spirals task. */
  readonly spec?: NetworkSpecInput;
  /** Monitored steps in all (default 10,000), the first `warmupSteps` (default 1,000) before the first measurement. */
  readonly steps?: number;
  readonly warmupSteps?: number;
  readonly batchSize?: number;
  /** Backend resources to compare before and after, e.g. `{ tensors: () => tf.memory().numTensors }`. */
  readonly counters?: Readonly<Record<string, () => number>>;
}

export interface SoakFigures {
  readonly steps: number;
  readonly seconds: number;
  /** V8 heap in use after a full GC, after the warm-up and at the end, in bytes. */
  readonly heapBefore: number;
  readonly heapAfter: number;
  /** `heapAfter / heapBefore - 1`. */
  readonly heapGrowth: number;
  readonly counters: Readonly<Record<string, { readonly before: number; readonly after: number }>>;
  /** Every step's report reached the monitor. */
  readonly monitoredSteps: number;
  readonly finalLoss: number;
}

/** A full GC without starting node with --expose-gc (the flag is set at run time and `gc` read from a new context). */
function collectGarbage(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  return () => {
    gc();
    gc(); // a second pass collects what the first one's finalizers released
  };
}

/**
 * Trains one model for `steps` monitored steps (every step's gradient report computed and read) and measures the heap
 * and the backend's own resources after the warm-up and at the end: a leak of a tensor, a session or a report per step
 * shows as growth over thousands of steps.
 */
export async function runSoak(o: SoakOptions): Promise<SoakFigures> {
  const { steps = 10_000, warmupSteps = 1_000, batchSize = 16, counters = {} } = o;
  const gc = collectGarbage();
  const spec = parseSpec(o.spec ?? { kind: 'residual', inputSize: 2, outputSize: 2, width: 8, depth: 4, block: { activation: 'tanh' } });
  const task = createSpiralsTask({ seed: 0 });
  const model = await o.backend.createModel(spec, initParams(spec, { seed: 0 }));
  let monitoredSteps = 0;
  let finalLoss = NaN;
  // reads each report and keeps nothing, so any growth is the backend's
  const monitor: GradientMonitor = {
    onStep: (report) => {
      monitoredSteps++;
      finalLoss = report.loss;
    },
  };
  const sample = (): Record<string, number> => Object.fromEntries(Object.entries(counters).map(([k, f]) => [k, f()]));
  const config = { optimizer: { type: 'adam' as const, lr: 1e-3 }, clip: { type: 'norm' as const, maxNorm: 1 }, loss: task.loss };
  try {
    const start = performance.now();
    await train({ model, task, steps: warmupSteps, batchSize, config, monitors: [monitor] });
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const before = sample();
    const initialState = await model.getTrainingState();
    const rest = await train({ model, task, steps: steps - warmupSteps, batchSize, config, monitors: [monitor], initialState });
    if (rest.stopReason !== 'completed') throw new Error(`soak stopped at step ${rest.finalStep}: ${rest.message ?? rest.stopReason}`);
    gc();
    const heapAfter = process.memoryUsage().heapUsed;
    const after = sample();
    return {
      steps: rest.finalStep,
      seconds: (performance.now() - start) / 1000,
      heapBefore,
      heapAfter,
      heapGrowth: heapAfter / heapBefore - 1,
      counters: Object.fromEntries(Object.keys(counters).map((k) => [k, { before: before[k]!, after: after[k]! }])),
      monitoredSteps,
      finalLoss,
    };
  } finally {
    await model.dispose();
  }
}

/** One line for a README or a log: `10000 steps in 41.2 s, heap 52.1 -> 52.4 MB (+0.6%), tensors 14 -> 14`. */
export function formatSoak(f: SoakFigures): string {
  const mb = (n: number): string => (n / 2 ** 20).toFixed(1);
  const counters = Object.entries(f.counters).map(([k, c]) => `, ${k} ${c.before} -> ${c.after}`).join('');
  return `${f.steps} steps in ${f.seconds.toFixed(1)} s, heap ${mb(f.heapBefore)} -> ${mb(f.heapAfter)} MB (${f.heapGrowth >= 0 ? '+' : ''}${(f.heapGrowth * 100).toFixed(1)}%)${counters}`;
}

/** Soak tests run only under `pnpm test:soak` (GRADSCOPE_SOAK=1): 10,000 steps take minutes. */
export const soakEnabled = process.env['GRADSCOPE_SOAK'] === '1';
