/** The outcome of one conformance check: `failures` say what disagreed and by how much; `notes` what was measured. */
export interface CheckResult {
  readonly pass: boolean;
  readonly failures: readonly string[];
  readonly notes: readonly string[];
}

/** Collects failures and measurements while a check runs. */
export class CheckLog {
  private readonly failures: string[] = [];
  private readonly notes: string[] = [];

  fail(message: string): void {
    this.failures.push(message);
  }

  note(message: string): void {
    this.notes.push(message);
  }

  /** Records `message` as a failure unless `ok`. */
  expect(ok: boolean, message: string): void {
    if (!ok) this.fail(message);
  }

  get failed(): boolean {
    return this.failures.length > 0;
  }

  result(): CheckResult {
    return { pass: this.failures.length === 0, failures: [...this.failures], notes: [...this.notes] };
  }
}

/** Runs a check body; an unexpected exception is a failure that names the error, not a crash of the suite. */
export async function runCheck(body: (log: CheckLog) => Promise<void>): Promise<CheckResult> {
  const log = new CheckLog();
  try {
    await body(log);
  } catch (error) {
    log.fail(`threw ${describeError(error)}`);
  }
  return log.result();
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** One check in a plan: run it, or report it skipped with `skip` as the reason. */
export interface ConformanceCheck {
  readonly title: string;
  readonly skip?: string;
  run(): Promise<CheckResult>;
}

/** A group of checks; a gated section carries `skip` (the reason) and is reported as one skipped entry. */
export interface ConformanceSection {
  readonly id: SectionId;
  readonly title: string;
  readonly skip?: string;
  readonly checks: readonly ConformanceCheck[];
}

export const sectionIds = ['goldens', 'trajectories', 'sweep', 'params', 'training', 'checkpoint', 'dispose', 'shapes', 'notSupported'] as const;
/** The parts of the suite; `only` in the options selects some of them. */
export type SectionId = (typeof sectionIds)[number];
