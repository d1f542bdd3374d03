import { TRAIN_LOOP_STEPS, type BackendRow, type BenchResults, type Spread } from './run.js';

const ms = (v: number | undefined): string => (v === undefined ? '—' : v < 10 ? v.toFixed(2) : v.toFixed(1));
/** A median with its interquartile range: `1.23 (1.20–1.31)`. */
const spread = (s: Spread | undefined): string => (s === undefined ? '—' : `${ms(s.medianMs)} (${ms(s.p25Ms)}–${ms(s.p75Ms)})`);
const ratio = (v: number | undefined): string => (v === undefined ? '—' : `${v.toFixed(2)}×`);

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** BENCHMARKS.md: every number comes from the results object, so the file is exactly what `pnpm bench` measured. */
export function renderBenchMarkdown(r: BenchResults): string {
  const torch = r.torch.available ? r.torch.baseline : undefined;
  const label = new Map(r.workloads.map((w) => [w.id, w.label]));
  const row = (x: BackendRow): string[] =>
    x.error
      ? [label.get(x.workload) ?? x.workload, x.backend, `error: ${x.error}`, '', '', '', '', '', '', '', '']
      : [
          label.get(x.workload) ?? x.workload,
          x.backend,
          spread(x.spread?.monitorOff),
          spread(x.spread?.monitorOn),
          ratio(x.monitorOverhead),
          spread(x.spread?.trainLoop),
          ratio(x.trainLoopRatio),
          x.baselineKind === 'none' ? '—' : `${spread(x.spread?.baseline)} ${x.baselineKind}`,
          ratio(x.baselineRatio),
          torch ? ms(torch.medians[x.workload]) : '—',
          ratio(x.torchRatio),
        ];
  const header = ['workload', 'backend', 'step ms (monitor off)', 'monitor on', 'monitor overhead', 'train() ms / step', 'train() / step', 'hand-written ms', 'adapter / hand-written', 'PyTorch ms', 'adapter / PyTorch'];
  const groups: [string, string][] = [
    ['main', 'Main workloads'],
    ['larger', 'Larger cases'],
    ['scaling', 'Scaling (with the main workloads: depth 8/16/32, T 20/50/100)'],
  ];
  // A filtered run leaves some groups without rows; they get no empty table.
  const sections = groups.flatMap(([g, title]) => {
    const ids = new Set(r.workloads.filter((w) => w.group === g).map((w) => w.id));
    const rows = r.rows.filter((x) => ids.has(x.workload));
    return rows.length ? [`## ${title}\n\n${table(header, rows.map(row))}`] : [];
  });
  const flopRows = r.rows.filter((x) => x.gflops !== undefined).map((x) => [label.get(x.workload) ?? x.workload, x.backend, x.gflops!.toFixed(2)]);
  const where = whereTheTimeGoes(r, (id) => label.get(id) ?? id);
  const notes = [...new Set(r.rows.filter((x) => x.baselineNote).map((x) => `- ${x.backend}: ${x.baselineNote}`))];
  return [
    '# Benchmarks',
    '',
    `Measured by \`pnpm bench\` on ${r.date.slice(0, 10)} — ${r.machine.cpu}, ${r.machine.cores} cores, Node ${r.machine.node}, ${r.machine.platform}.`,
    `Threads: ${r.threads} asked of every runtime that takes a count; running with ${Object.entries(r.runtimeThreads).map(([k, v]) => `${k} ${v ?? '1 (one JS thread, no setting)'}`).join(', ')}.`,
    `Training-step latency (SGD, MSE): median (p25–p75) in ms. Per row, monitor off, monitor on, core's \`train()\` loop (per step of ${TRAIN_LOOP_STEPS}-step runs) and the hand-written baseline are measured interleaved, one iteration of each in turn, at least ${r.budget.minIterations} rounds and ${r.budget.timeMs} ms per measurement after ${r.budget.warmupIterations} warm-up rounds.`,
    'Targets: monitor overhead <= 1.05×, train() / step <= 1.05×, adapter / hand-written <= 1.10× where the hand-written model is the same model. The bench reports; it never fails on speed.',
    '',
    'Runtimes: ' + Object.entries(r.runtimes).map(([k, v]) => `${k} = ${v}`).join('; ') + '.',
    torch
      ? `PyTorch ${torch.version} eager CPU, ${torch.threads} thread, BLAS: ${torch.blas}.`
      : `PyTorch column skipped: ${r.torch.available ? '' : r.torch.reason}.`,
    '',
    ...sections.flatMap((s) => [s, '']),
    '## Achieved GFLOP/s (dense cases: multiply-adds of forward + backward, 2 FLOPs each)',
    '',
    torch ? `Practical ceiling: OpenBLAS-backed PyTorch multiplies 512×512 float32 matrices at ${torch.matmul512Gflops.toFixed(1)} GFLOP/s on ${torch.threads} thread here.` : 'No BLAS ceiling measured (PyTorch absent).',
    '',
    table(['workload', 'backend', 'GFLOP/s'], flopRows),
    '',
    ...where,
    '## Hand-written baselines',
    '',
    ...notes,
    '',
  ].join('\n');
}

/**
 * Kernels per step that `pnpm bench` measured on 2026-12-04 at commit a05f8f3, before the leaner recurrent graphs
 * (one input Gemm, folded biases, one Sigmoid per LSTM step), the in-place graph-output renames and tfjs' one LSTM
 * sigmoid: the "before" the current counts are read against. onnx and onnx-node run the same graphs.
 */
const KERNELS_BEFORE: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  tfjs: { 'residual-16x64': 389, 'plain-16x64': 293, 'lstm-h32-t20': 1473, 'lstm-h32-t50': 3633, 'gru-h32-t50': 4033, 'rnn-h32-t50': 1186, 'residual-16x256': 389, 'lstm-h128-t50': 3633, 'residual-8x64': 213, 'residual-32x64': 741, 'lstm-h32-t100': 7233 },
  onnx: { 'residual-16x64': 235, 'plain-16x64': 203, 'lstm-h32-t20': 1075, 'lstm-h32-t50': 2665, 'gru-h32-t50': 2216, 'rnn-h32-t50': 967, 'residual-16x256': 235, 'lstm-h128-t50': 2665, 'residual-8x64': 131, 'residual-32x64': 443, 'lstm-h32-t100': 5315 },
};

/**
 * Per backend: kernels per step and their commonest ops, and (where the hand-written baseline runs the same model)
 * the share of the step spent outside it — host-side feeds, copies, norms, optimizer.
 */
function whereTheTimeGoes(r: BenchResults, label: (id: string) => string): string[] {
  const rows = r.rows.filter((x) => !x.error && x.kernels);
  if (rows.length === 0) return [];
  // Only onnx's baseline runs the very graph the adapter runs; tfjs' is tf.layers, another implementation.
  const share = (x: BackendRow): string =>
    x.backend.startsWith('onnx') && x.baselineKind === 'same' && x.monitorOffMs !== undefined && x.baselineMs !== undefined
      ? `${Math.max(0, (100 * (x.monitorOffMs - x.baselineMs)) / x.monitorOffMs).toFixed(0)}%`
      : '—';
  const kernels = (x: BackendRow): string[] => {
    const before = KERNELS_BEFORE[x.backend.startsWith('onnx') ? 'onnx' : x.backend]?.[x.workload];
    return x.kernels
      ? [`${x.kernels.perStep} (${x.kernels.source === 'graph' ? 'graph nodes' : 'profiled'})`, before === undefined ? '—' : String(before), x.kernels.top.map(([op, n]) => `${op} ${n}`).join(', ')]
      : ['—', '—', '—'];
  };
  return [
    '## Where the time goes',
    '',
    'Kernels per unmonitored step: onnx counts the nodes of the generated training graph (onnxruntime may fuse a few),',
    "tfjs counts what its profiler saw in one step; brain.js runs its own loops. Outside the runtime (onnx): the part of",
    'a step that raw onnxruntime on the same graph does not spend (host-side feeds, output copies, norms, optimizer).',
    '"Before": the same count at commit a05f8f3, before the recurrent graphs got one input Gemm for all timesteps, folded',
    "biases and one Sigmoid per LSTM step, graph outputs lost their Identity nodes, and tfjs' LSTM one sigmoid per step.",
    '',
    table(['workload', 'backend', 'kernels / step', 'before', 'commonest ops', 'outside the runtime'], rows.map((x) => [label(x.workload), x.backend, ...kernels(x), share(x)])),
    '',
  ];
}
