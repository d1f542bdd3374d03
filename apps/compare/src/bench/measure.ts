export interface Budget {
  /** Minimum measuring time per task, ms. */
  readonly timeMs: number;
  /** Minimum number of measured iterations per task. */
  readonly minIterations: number;
  readonly warmupIterations: number;
}

export interface Timing {
  readonly medianMs: number;
  /** Interquartile range: the spread of the middle half of the samples. */
  readonly p25Ms: number;
  readonly p75Ms: number;
  readonly samples: number;
}

/** A task's timing, or the first error it threw (it then leaves the rotation; the others go on). */
export type Outcome = { readonly ok: true; readonly timing: Timing } | { readonly ok: false; readonly error: string };

/** One measured iteration: a step (one sample) or several steps whose mean per step is the sample. */
export interface Task {
  readonly run: () => Promise<unknown> | unknown;
  /** Steps one `run` takes (default 1): the sample is its time divided by this. */
  readonly stepsPerRun?: number;
}

function quantile(sorted: readonly number[], q: number): number {
  const i = (sorted.length - 1) * q;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (i - lo);
}

/**
 * Per-step latency of several tasks measured interleaved: each round runs every task once, in turn, so slow drift
 * of the machine (another process, thermal state, GC pressure) affects all of them alike and their ratios stay
 * fair. Warm-up rounds first; then rounds until every task has `minIterations` samples and the rounds took at least
 * `timeMs` per task.
 */
export async function measureInterleaved<K extends string>(tasks: Readonly<Record<K, Task>>, budget: Budget): Promise<Record<K, Outcome>> {
  const keys = Object.keys(tasks) as K[];
  const samples = Object.fromEntries(keys.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  const failed = new Map<K, string>();
  const once = async (k: K, record: boolean): Promise<void> => {
    if (failed.has(k)) return;
    const task = tasks[k];
    const t0 = performance.now();
    try {
      await task.run();
    } catch (e) {
      failed.set(k, (e instanceof Error ? e.message : String(e)).split('\n')[0]!.trim());
      return;
    }
    if (record) samples[k].push((performance.now() - t0) / (task.stepsPerRun ?? 1));
  };
  for (let i = 0; i < budget.warmupIterations; i++) for (const k of keys) await once(k, false);
  const started = performance.now();
  for (let round = 0; round < budget.minIterations || performance.now() - started < budget.timeMs * keys.length; round++) {
    if (failed.size === keys.length) break;
    for (const k of keys) await once(k, true);
  }
  const out = {} as Record<K, Outcome>;
  for (const k of keys) {
    const error = failed.get(k);
    if (error !== undefined) {
      out[k] = { ok: false, error };
      continue;
    }
    const sorted = [...samples[k]].sort((a, b) => a - b);
    out[k] = { ok: true, timing: { medianMs: quantile(sorted, 0.5), p25Ms: quantile(sorted, 0.25), p75Ms: quantile(sorted, 0.75), samples: sorted.length } };
  }
  return out;
}
