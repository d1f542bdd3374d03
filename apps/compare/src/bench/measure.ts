import { Bench } from 'tinybench';

export interface Budget {
  /** Minimum measuring time per task, ms. */
  readonly timeMs: number;
  /** Minimum number of measured iterations. */
  readonly minIterations: number;
  readonly warmupIterations: number;
}

export interface Timing {
  readonly medianMs: number;
  readonly samples: number;
}

/** Median latency of an async step with tinybench (warm-up first, then at least the budget's time and iterations). */
export async function medianMs(step: () => Promise<unknown> | unknown, budget: Budget): Promise<Timing> {
  const bench = new Bench({
    time: budget.timeMs,
    iterations: budget.minIterations,
    warmupIterations: budget.warmupIterations,
    warmupTime: 0,
    throws: true,
  });
  bench.add('step', async () => {
    await step();
  });
  await bench.run();
  const result = bench.tasks[0]?.result;
  if (!result || (result.state !== 'completed' && result.state !== 'aborted-with-statistics')) {
    throw new Error(`benchmark did not complete (${result?.state ?? 'no result'})`);
  }
  return { medianMs: result.latency.p50, samples: result.latency.samplesCount };
}
