import type { CompareResults } from '../compare/results.js';
import type { SuiteSettings } from '../compare/suites.js';
import { resultTables, type Table } from '../compare/tables.js';
import { renderChartSvg, type ChartSpec } from './chart.js';
import { buildCharts } from './charts.js';

/** Text made safe for HTML content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Markup that is already safe: built by `html`, or SVG from the chart renderer (which escapes its own text). */
class Html {
  constructor(readonly markup: string) {}
}

type Interpolated = Html | string | number | readonly Interpolated[];

function render(value: Interpolated): string {
  if (value instanceof Html) return value.markup;
  if (Array.isArray(value)) return value.map(render).join('\n');
  return escapeHtml(String(value));
}

/**
 * The only way this page is built: every interpolated value is escaped unless it is `Html` already, so a string
 * from a results.json someone sent (a seed, a backend name, a reason) can never become markup.
 */
function html(strings: TemplateStringsArray, ...values: readonly Interpolated[]): Html {
  return new Html(strings.reduce((out, text, i) => out + text + (i < values.length ? render(values[i]!) : ''), ''));
}

const none = new Html('');

function figure(chart: ChartSpec): Html {
  return html`<figure id="${chart.id}" data-axis="${chart.log ? 'log' : 'linear'}">
<h3>${chart.title}</h3>
${new Html(renderChartSvg(chart))}
<figcaption>${chart.caption}</figcaption>
</figure>`;
}

function htmlTable(t: Table): Html {
  const head = t.headers.map((h) => html`<th>${h}</th>`);
  const body = t.rows.map((row) => html`<tr>${row.map((c) => (c === 'NO' || c === 'FAILED' ? html`<td class="fail">${c}</td>` : html`<td>${c}</td>`))}</tr>`);
  return html`<table><caption>${t.title}</caption>
<thead><tr>${head}</tr></thead>
<tbody>
${body}
</tbody></table>`;
}

const style = `
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 900px; color: #202124; padding: 0 1rem; }
h1 { margin-bottom: 0.2rem; } h2 { margin-top: 2.5rem; border-bottom: 1px solid #dadce0; }
h3 { font-size: 1rem; margin: 0 0 0.3rem; }
figure { margin: 1.5rem 0; } figcaption { color: #5f6368; font-size: 0.9rem; }
svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 1rem 0; width: 100%; }
caption { text-align: left; font-weight: 600; padding-bottom: 0.3rem; }
th, td { border-bottom: 1px solid #e8eaed; padding: 0.2rem 0.5rem; text-align: left; }
td.fail { color: #c5221f; font-weight: 600; }
ul.verdicts { padding-left: 1.2rem; } ul.verdicts li { margin: 0.3rem 0; } li.shown { color: #137333; } li.fail { color: #c5221f; font-weight: 600; }
.meta { color: #5f6368; font-size: 0.9rem; }
`;

function timeIntro(r: CompareResults): string {
  // settings from older or hand-edited files may lack fields (the schema keeps them optional): say only what is there
  const t: Partial<SuiteSettings['time']> = r.suite.time;
  const steps = t.optimizer ? `${t.steps ?? '?'} ${t.optimizer.type} steps (lr ${t.optimizer.lr}${t.clip?.type === 'norm' ? `, norm clip ${t.clip.maxNorm}` : ''})` : undefined;
  // the seeds that ran (`--only` may have left some out), else the suite's count
  const seeds = r.time.runs.length > 0 ? new Set(r.time.runs.map((x) => x.seed)).size : (t.seeds ?? 1);
  const settings = [t.hiddenSize !== undefined && `hidden size ${t.hiddenSize}`, t.batch !== undefined && `batch ${t.batch}`, steps, seeds > 1 && `${seeds} seeds`].filter(Boolean);
  return `The adding problem (sum the two marked values of a sequence of length T; predicting 1.0 scores ${r.time.baselineMse.toFixed(3)})${settings.length ? `, ${settings.join(', ')}` : ''}. An LSTM labelled chrono:T starts with Tallec & Ollivier's chrono forget-gate init (b_f = log U(1, T-1), b_i = -b_f), bias:1 with a constant forget-gate bias of 1. At initialization every cell loses the gradient on its way back through time; the heatmaps show whether training opens a path.`;
}

/** The claims this run checked, shown or not, first on the page as in the terminal. */
function verdictList(r: CompareResults): Html {
  if (r.verdicts.length === 0) return none;
  const items = r.verdicts.map((v) => html`<li class="${v.shown ? 'shown' : 'fail'}">${v.text}</li>`);
  return html`<section id="verdicts">
<h2>Verdicts</h2>
<ul class="verdicts">
${items}
</ul>
</section>`;
}

function mnistIntro(r: CompareResults): string {
  const m = r.suite.mnist;
  const opt = m.optimizer;
  const sgd = opt.type === 'sgd' ? `, momentum ${opt.momentum}` : '';
  return `Plain vs residual convolutional networks (CIFAR layout: 3×3 stem, stages of 16/32/64 channels, zero-padding shortcuts, BatchNorm) of depths ${m.depths.join(', ')} on ${m.imageSize}×${m.imageSize} MNIST digits with a seeded train/test split. Budget: ${m.steps} training steps, batch ${m.batch}, ${opt.type} lr ${opt.lr}${sgd}; test error on ${m.testSize} held-out digits. He et al. found that beyond some depth a plain network trains to a higher loss than a shallower one while a residual network does not; the verdict below says whether this budget shows it.`;
}

/** One self-contained HTML page: inline CSS and inline SVG charts, no script and no external resource. */
export function renderReportHtml(results: CompareResults): string {
  const charts = buildCharts(results);
  const tables = resultTables(results);
  const tableWith = (prefix: string): Html[] => tables.filter((t) => t.title.startsWith(prefix)).map(htmlTable);
  const m = results.machine;
  const runtimes = results.backends.map(
    (b) => html`<li><b>${b.name}</b>: ${`${b.runtime.name} ${b.runtime.version} (${b.runtime.device})`}${b.semantics === 'pytorch' ? '' : ` — ${b.semantics} semantics`}</li>`,
  );
  const section = (id: string, title: string, intro: string, body: Html[]): Html =>
    body.length ? html`<section id="${id}">
<h2>${title}</h2>
<p>${intro}</p>
${body}
</section>` : none;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>gradscope compare — ${results.suite.name} suite</title>
<style>${new Html(style)}</style>
</head>
<body>
<h1>gradscope compare</h1>
<p class="meta">Suite <b>${results.suite.name}</b>${results.only === undefined ? '' : html`, only the runs matching <code>${results.only}</code>`}, seed ${results.seed}, ${results.startedAt}, ${(results.durationMs / 1000).toFixed(1)} s.
${`${m.cpuModel}, ${m.cores} cores, ${m.os} ${m.arch}, Node ${m.node}`}.</p>
<ul class="meta">
${runtimes}
</ul>
${verdictList(results)}
<p class="meta">Every backend starts from the same initial weights (seed ${results.seed}) and sees the same batches, so where backends agree their lines lie on top of each other (one colour per backend). All numbers are in results.json next to this file.</p>
${section('depth', 'Depth: plain vs residual', 'Dense networks of increasing depth, with and without identity skip connections: how much gradient reaches each block.', [...charts.depth.map(figure), ...tableWith('Depth:')])}
${section('mnist', 'Depth on real digits', mnistIntro(results), [...charts.mnist.map(figure), ...tableWith('Depth on real digits'), ...results.mnist.degradation.verdicts.map((v) => html`<p class="verdict">${v.text}</p>`)])}
${section('time', 'Time: RNN vs GRU vs LSTM on the adding problem', timeIntro(results), [...charts.time.map(figure), ...tableWith('Time')])}
${section('cures', 'Cures: initialization, activation and gradient clipping', 'Besides skips and gates, three classic cures: weights initialized for the activation (Glorot/Xavier, He/Kaiming, orthogonal) keep a deep plain net\'s gradient from vanishing or exploding; ReLU loses less than sigmoid; clipping the gradient keeps an exploding run finite.', [...charts.cures.map(figure), ...tableWith('Cures')])}
${section('agreement', 'Agreement with the reference', 'Max relative difference of outputs and gradients of each backend against the float64 reference, on the same batch and weights. For conv nets the reference also reruns itself with every weight scaled by 1 ± 1e-6 (3 seeded draws): where its own gradients move by more than the tolerance, the batch puts a ReLU input within float32 rounding of zero, and a backend no further off than that spread is marked "float32 kink" rather than failed.', tableWith('Agreement'))}
${section('speed', 'Speed', 'Median wall time of one training step.', [...charts.speed.map(figure), ...tableWith('Speed')])}
${section('skipped', 'Not run', 'Runs a backend could not do, with the reason.', tableWith('Not run'))}
</body>
</html>
`.markup;
}
