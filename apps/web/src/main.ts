import './style.css';
import { chartOption, chartSize, stringifyJson, type ChartSpec } from '@gradscope/compare/browser';
import { activations, cellTypes, initSchemes } from '@gradscope/core';
import * as echarts from 'echarts';
import { liveCharts, plottedPoints } from './charts.js';
import { captions } from './captions.js';
import type { RunRequest, WorkerMessage } from './protocol.js';
import { resultsOf, type RunRecord } from './results.js';
import { convDepths, describeProblems, parseState, stateToSearch, tfjsDevices, type PageState, type WebBackend } from './state.js';

const $ = <T extends HTMLElement>(selector: string): T => document.querySelector<T>(selector)!;
const form = $<HTMLFormElement>('#controls');
const stopButton = $<HTMLButtonElement>('#stop');
const downloadButton = $<HTMLButtonElement>('#download');
const heatmapBox = $<HTMLElement>('#heatmaps');
const linesBox = $<HTMLElement>('#lines');
const statusList = $<HTMLUListElement>('#status');
const problemsBox = $<HTMLElement>('#problems');

function fillSelect(name: string, values: readonly (string | number)[]): void {
  for (const select of form.querySelectorAll<HTMLSelectElement>(`select[name="${name}"]`)) {
    if (select.options.length === 0) select.append(...values.map((v) => new Option(String(v))));
  }
}
fillSelect('activation', activations);
fillSelect('init', initSchemes);
fillSelect('cell', cellTypes);
fillSelect('tfjs', tfjsDevices);
const convFieldset = $<HTMLFieldSetElement>('fieldset[data-for="mnist"]');
convFieldset.querySelector<HTMLSelectElement>('select[name="depth"]')!.append(...convDepths.map((d) => new Option(String(d))));

/** Only the chosen experiment's fieldset is enabled, so the form reads its `arch` and `depth`, not another's. */
function showExperiment(experiment: string): void {
  for (const fs of form.querySelectorAll<HTMLFieldSetElement>('fieldset[data-for]')) {
    const active = fs.dataset.for === experiment;
    fs.hidden = !active;
    fs.disabled = !active;
  }
}

function writeForm(state: PageState): void {
  showExperiment(state.experiment);
  for (const el of form.querySelectorAll<HTMLInputElement | HTMLSelectElement>('input, select')) {
    if (el.closest('fieldset')?.disabled) continue;
    const key = el.name as keyof PageState;
    if (el instanceof HTMLInputElement && el.type === 'radio') el.checked = el.value === state.experiment;
    else if (el instanceof HTMLInputElement && el.type === 'checkbox') el.checked = state.backends.includes(el.value as WebBackend);
    else if (key in state) el.value = String(state[key]);
  }
}

/** The form as a query string, read back through the same parser as a URL (one validation for both). */
function formSearch(): string {
  const data = new FormData(form);
  const query = new URLSearchParams();
  for (const [key, value] of data) if (key !== 'backends') query.set(key, String(value));
  query.set('backends', data.getAll('backends').join(','));
  return `?${query.toString()}`;
}

function showProblems(lines: readonly string[]): void {
  problemsBox.hidden = lines.length === 0;
  problemsBox.replaceChildren(...lines.map((l) => Object.assign(document.createElement('p'), { textContent: l })));
  if (lines.length) {
    const reset = Object.assign(document.createElement('a'), { href: '?', textContent: 'Start again from the defaults' });
    problemsBox.append(reset);
  }
}

// ----- running -----

interface BackendStatus {
  text: string;
  cls: '' | 'failed' | 'unsupported';
}

let run: RunRecord | undefined;
let workers: Worker[] = [];
const statuses = new Map<string, BackendStatus>();
const chartInstances = new Map<string, echarts.ECharts>();
let drawPending = false;

function setStatus(backend: string, text: string, cls: BackendStatus['cls'] = ''): void {
  statuses.set(backend, { text, cls });
  statusList.replaceChildren(
    ...[...statuses].map(([b, s]) => Object.assign(document.createElement('li'), { className: s.cls, textContent: `${b}: ${s.text}` })),
  );
}

function figureFor(spec: ChartSpec): HTMLElement {
  let fig = document.getElementById(`chart-${spec.id}`);
  if (!fig) {
    fig = Object.assign(document.createElement('figure'), { id: `chart-${spec.id}` });
    const plot = Object.assign(document.createElement('div'), { className: 'plot' });
    fig.append(Object.assign(document.createElement('h3'), { textContent: spec.title }), plot, Object.assign(document.createElement('figcaption'), { textContent: captions(spec.id, run!.state.experiment) }));
  }
  fig.querySelector('h3')!.textContent = spec.title;
  // (re-)appended in spec order: the figures keep the backends' order whichever worker reported first
  (spec.kind === 'heatmap' ? heatmapBox : linesBox).append(fig);
  return fig;
}

function draw(): void {
  drawPending = false;
  if (!run) return;
  const runs = run.state.backends.map((backend) => ({ backend, ...(run!.outcomes.has(backend) && { outcome: run!.outcomes.get(backend)! }) }));
  for (const spec of liveCharts(runs, run.state.experiment)) {
    const fig = figureFor(spec);
    const plot = fig.querySelector<HTMLDivElement>('.plot')!;
    const width = plot.clientWidth || 600;
    const sized = { ...spec, width };
    plot.style.height = `${chartSize(sized).height}px`;
    let chart = chartInstances.get(spec.id);
    if (!chart) {
      chart = echarts.init(plot, null, { renderer: 'canvas' });
      chartInstances.set(spec.id, chart);
    }
    chart.setOption(chartOption(sized), { notMerge: true });
    fig.dataset.points = String(plottedPoints(spec));
  }
}

function scheduleDraw(): void {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(draw);
}

function finished(): boolean {
  return run !== undefined && run.state.backends.every((b) => ['done', 'failed', 'unsupported'].includes(document.body.dataset[`run${b}`] ?? ''));
}

function settle(backend: string, phase: 'done' | 'failed' | 'unsupported'): void {
  document.body.dataset[`run${backend}`] = phase;
  if (finished()) {
    document.body.dataset.run = 'done';
    stopButton.disabled = true;
    workers.forEach((w) => w.terminate());
    workers = [];
  }
}

function onMessage(m: WorkerMessage): void {
  if (!run) return;
  switch (m.type) {
    case 'ready':
      run.workload ??= m.workload;
      run.backends.push(m.info);
      setStatus(m.backend, `${m.info.runtime.name} ${m.info.runtime.version} (${m.info.runtime.device}): ${m.workload.label}, starting`);
      break;
    case 'progress':
    case 'done': {
      run.outcomes.set(m.backend, m.outcome);
      const o = m.outcome;
      const ms = o.stepMs.length ? o.stepMs.reduce((a, b) => a + b, 0) / o.stepMs.length : 0;
      const info = run.backends.find((b) => b.name === m.backend);
      const where = info ? `${info.runtime.name} (${info.runtime.device})` : m.backend;
      const stop = o.nonFiniteAt !== undefined ? `, stopped: step ${o.nonFiniteAt} not finite` : '';
      setStatus(m.backend, `${where}: step ${o.loss.length} of ${run.state.steps}, ${ms.toFixed(1)} ms/step${stop}${m.type === 'done' ? ' — done' : ''}`);
      if (m.type === 'done') settle(m.backend, 'done');
      scheduleDraw();
      break;
    }
    case 'failed':
      run.skipped.push({ backend: m.backend, experiment: run.state.experiment, workload: run.workload?.label ?? run.state.experiment, kind: m.kind, reason: m.reason });
      setStatus(m.backend, `${m.kind === 'unsupported' ? 'cannot run this network' : 'failed'}: ${m.reason}`, m.kind);
      settle(m.backend, m.kind);
      break;
  }
}

function start(state: PageState): void {
  stop();
  for (const c of chartInstances.values()) c.dispose();
  chartInstances.clear();
  heatmapBox.replaceChildren();
  linesBox.replaceChildren();
  statuses.clear();
  for (const key of Object.keys(document.body.dataset)) delete document.body.dataset[key];
  document.body.dataset.run = 'running';
  run = { state, startedAt: new Date(), backends: [], outcomes: new Map(), skipped: [] };
  for (const backend of state.backends) {
    setStatus(backend, 'loading the runtime');
    const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: `gradscope-${backend}` });
    worker.onmessage = (e: MessageEvent<WorkerMessage>) => onMessage(e.data);
    worker.onerror = (e) => onMessage({ type: 'failed', backend, kind: 'failed', reason: e.message || 'the worker could not start' });
    worker.postMessage({ state, backend } satisfies RunRequest);
    workers.push(worker);
  }
  stopButton.disabled = false;
  downloadButton.disabled = false;
}

/** Ends every worker at once (mid-step included); what has been drawn stays, and can still be downloaded. */
function stop(): void {
  if (workers.length === 0) return;
  workers.forEach((w) => w.terminate());
  workers = [];
  stopButton.disabled = true;
  if (run) {
    for (const b of run.state.backends) {
      if (document.body.dataset[`run${b}`]) continue;
      const steps = run.outcomes.get(b)?.loss.length ?? 0;
      setStatus(b, `stopped after ${steps} of ${run.state.steps} steps`);
    }
  }
  document.body.dataset.run = 'stopped';
}

function download(): void {
  if (!run) return;
  const blob = new Blob([`${stringifyJson(resultsOf(run), 2)}\n`], { type: 'application/json' });
  const a = Object.assign(document.createElement('a'), { href: URL.createObjectURL(blob), download: 'results.json' });
  a.click();
  URL.revokeObjectURL(a.href);
}

// ----- wiring -----

form.addEventListener('change', (e) => {
  const target = e.target as HTMLInputElement;
  if (target.name === 'experiment') {
    const parsed = parseState(`?experiment=${target.value}`);
    writeForm(parsed.state);
  }
});
form.addEventListener('submit', (e) => {
  e.preventDefault();
  const parsed = parseState(formSearch());
  showProblems(parsed.ok ? [] : describeProblems(parsed.problems));
  if (!parsed.ok) return;
  history.replaceState(null, '', stateToSearch(parsed.state));
  start(parsed.state);
});
stopButton.addEventListener('click', stop);
downloadButton.addEventListener('click', download);
window.addEventListener('resize', () => chartInstances.forEach((c) => c.resize()));

const initial = parseState(location.search);
writeForm(initial.state);
if (!initial.ok) showProblems(describeProblems(initial.problems));
// a link with parameters reproduces its run at once; the bare page waits for Run
else if (location.search.length > 1) start(initial.state);
document.body.dataset.page = 'ready';
