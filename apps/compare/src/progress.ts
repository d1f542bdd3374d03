import cliProgress from 'cli-progress';
import type { ProgressEvent } from './compare/compare.js';
import type { CliIO } from './output.js';

export interface ProgressView {
  update(event: ProgressEvent): void;
  stop(): void;
}

/** A progress bar on a terminal; one plain line per task otherwise (logs, CI, pipes). */
export function createProgressView(io: CliIO): ProgressView {
  if (io.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { stream: io.stderr, format: '{bar} {value}/{total} {eta_formatted} left | {task}', hideCursor: true, clearOnComplete: true, etaBuffer: 20 },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(e) {
        if (!started) {
          bar.start(e.total, e.done, { task: e.task });
          started = true;
        } else bar.update(e.done, { task: e.task });
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  return {
    update(e) {
      if (e.started) io.stderr.write(`[${e.started.index}/${e.total}] ${e.started.task}\n`);
    },
    stop() {},
  };
}
