import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convLayout, isConvResidual, parseModelSpec } from '@gradscope/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { availableBackendNames } from '../backends.js';
import { stringifyJson } from '../io.js';
import { escapeHtml } from '../reporting/html.js';
import { writeReport } from '../reporting/write.js';
import { compare } from './compare.js';
import { canRun } from './run-workload.js';
import { createBackend } from '../backends.js';
import type { CompareResults } from './results.js';

let results: CompareResults;
let html: string;
// Every adapter that builds on this branch runs too; the reference always does.
const adapters = (await availableBackendNames()).filter((n) => n !== 'reference' && n !== 'brain-stock');
const names = ['reference', ...adapters];
// brain.js's stock LSTM joins the LSTM runs whenever brain is compared
const stock = adapters.includes('brain') ? ['brain-stock'] : [];
// backends that build conv specs run the MNIST experiment (the reference always does); the rest list it as not supported
const convSpec = parseModelSpec({ kind: 'residual', variant: 'conv', inputChannels: 1, inputSize: 14, outputSize: 10, stem: 'cifar', stages: [{ blocks: 1, channels: 16 }] });
const convCapable: string[] = [];
for (const name of names) {
  const b = await createBackend(name);
  if (canRun(b, convSpec)) convCapable.push(name);
  await b.dispose();
}
const mnistRuns = 2 * 2; // smoke: depths 8 and 14, plain and residual

beforeAll(async () => {
  results = await compare({ backends: ['reference', ...adapters], suite: 'smoke', seed: 0 });
  const dir = mkdtempSync(join(tmpdir(), 'gradscope-compare-'));
  const files = await writeReport(results, dir);
  html = readFileSync(files.html, 'utf8');
  // results.json is exactly the object compare() returned
  // (non-finite numbers, such as the unclipped run's overflowed loss, are written as "Infinity"/"NaN" strings)
  expect(JSON.parse(readFileSync(files.json, 'utf8'))).toEqual(JSON.parse(stringifyJson(results)));
}, 300_000);

/** The SVG of one figure of the report. */
function figure(id: string): string {
  const m = new RegExp(`<figure id="${id}"[^>]*>([\\s\\S]*?)</figure>`).exec(html);
  if (!m) throw new Error(`figure ${id} not in the report`);
  return m[1]!;
}

/** Numbers on the figure's log axis: every tick a power of ten. */
function logTicks(svg: string): number[] {
  return [...svg.matchAll(/>(\d(?:\.\d+)?e-?\d+)</g)].map((m) => Number(m[1]));
}

describe('gradscope compare --suite smoke', () => {
  it('holds every section, the runtimes and the machine', () => {
    expect(results.backends.map((b) => b.name)).toEqual([...names, ...stock]);
    for (const b of results.backends) expect(b.runtime.version).toMatch(/\d/);
    expect(results.machine.cores).toBeGreaterThan(0);
    expect(results.machine.node).toBe(process.version);
    for (const name of names) {
      expect(results.depth.runs.filter((r) => r.backend === name)).toHaveLength(2 * 2 * 2);
      expect(results.time.runs.filter((r) => r.backend === name)).toHaveLength(3 * 2);
      expect(results.speed.rows.filter((r) => r.backend === name)).toHaveLength(8 + 6 + (convCapable.includes(name) ? mnistRuns : 0) + 6 + 3);
    }
    for (const name of stock) {
      expect(results.time.runs.filter((r) => r.backend === name).map((r) => `${r.label} T=${r.T}`)).toEqual(['lstm chrono:10 (brain.js stock) T=10', 'lstm chrono:30 (brain.js stock) T=30']);
      expect(results.depth.runs.filter((r) => r.backend === name)).toEqual([]);
      expect(results.agreement.rows.filter((r) => r.backend === name)).toEqual([]);
    }
    expect(results.skipped.filter((s) => s.experiment !== 'mnist')).toEqual([]);
    for (const name of names.filter((n) => !convCapable.includes(n))) {
      const skipped = results.skipped.filter((s) => s.backend === name);
      expect(skipped).toHaveLength(mnistRuns);
      for (const s of skipped) expect(s).toMatchObject({ experiment: 'mnist', kind: 'unsupported', reason: `${name} backend does not support residual variant "conv"` });
    }
  });

  it('trains plain and residual conv nets on MNIST digits, with per-block norms, dead units, loss and test error curves and a verdict', () => {
    expect(convCapable).toContain('reference');
    const m = results.suite.mnist;
    const referenceDead = (arch: string, depth: number): number[] => results.mnist.runs.find((r) => r.backend === 'reference' && r.architecture === arch && r.depth === depth)!.deadUnitFractions!;
    for (const name of convCapable) {
      const runs = results.mnist.runs.filter((r) => r.backend === name);
      expect(runs.map((r) => `${r.architecture}-${r.depth}`)).toEqual(['plain-8', 'residual-8', 'plain-14', 'residual-14']);
      for (const r of runs) {
        const blocks = 3 * ((r.depth - 2) / 6);
        expect(r.blockNorms.map((b) => b.step)).toEqual([0, m.steps]);
        for (const b of r.blockNorms) {
          expect(b.norms).toHaveLength(blocks);
          for (const v of b.norms) expect(v).toBeGreaterThan(0);
        }
        expect(r.deadUnitFractions).toHaveLength(blocks);
        // the same dead units as the reference, up to one whose ReLU input is within float32 noise of zero
        if (!isConvResidual(r.spec)) throw new Error('an MNIST run has a conv spec');
        const units = convLayout(r.spec).blocks.map((b) => 2 * b.outChannels * b.outSize[0] * b.outSize[1]);
        const ref = referenceDead(r.architecture, r.depth);
        r.deadUnitFractions!.forEach((f, i) => expect(Math.abs(f - ref[i]!) * units[i]!, `${name} ${r.architecture}-${r.depth} block ${i}`).toBeLessThanOrEqual(1));
        expect(r.loss).toHaveLength(m.steps);
        // an untrained 10-class net scores about ln 10
        expect(r.loss[0]).toBeGreaterThan(1.5);
        expect(r.loss[0]).toBeLessThan(4);
        expect(r.test.map((p) => p.step)).toEqual([0, m.steps]);
        for (const p of r.test) {
          expect(p.error).toBeGreaterThanOrEqual(0);
          expect(p.error).toBeLessThanOrEqual(1);
        }
      }
      const rows = results.mnist.degradation.rows.filter((r) => r.backend === name);
      expect(rows.map((r) => r.architecture)).toEqual(['plain', 'residual']);
      for (const row of rows) expect(row.depths).toEqual([8, 14]);
      const verdict = results.mnist.degradation.verdicts.find((v) => v.backend === name)!.text;
      expect(verdict).toMatch(/degradation (shown|not shown under this budget)/);
      expect(verdict).toContain(`plain 8: `);
    }
  });

  it('residual nets pass far more gradient to the first block than plain ones at depth 16 with sigmoid', () => {
    const deep = results.depth.runs.filter((r) => r.depth >= 16 && r.activation === 'sigmoid');
    for (const backend of names) {
      const first = (arch: string): number => deep.find((r) => r.backend === backend && r.architecture === arch)!.blockNorms[0]!.norms[0]!;
      expect(first('residual'), backend).toBeGreaterThan(1e3 * first('plain'));
    }
  });

  it("the chrono-initialized LSTM's dL/dh_0 is above the tanh RNN's at T = 30", () => {
    for (const backend of names) {
      const h0 = (label: string): number => results.time.runs.find((r) => r.backend === backend && r.T === 30 && r.label === label)!.hiddenGradNorms[0]![0]!;
      expect(h0('lstm chrono:30'), backend).toBeGreaterThan(h0('rnn'));
    }
  });

  it('records per-timestep norms for every layer and dL/dc_t for LSTMs, at init and during training, and test MSE curves', () => {
    const t = results.suite.time;
    const steps = [0, ...Array.from({ length: t.steps / t.reportEvery }, (_, i) => (i + 1) * t.reportEvery)];
    for (const r of results.time.runs) {
      expect(r.hiddenGradNorms.length).toBe(r.spec.kind === 'recurrent' ? r.spec.numLayers : 0);
      for (const row of r.hiddenGradNorms) expect(row).toHaveLength(r.T);
      expect(r.cellGradNorms !== undefined).toBe(r.cell === 'lstm');
      expect(r.testMse).toBeGreaterThan(0);
      expect(r.loss).toHaveLength(t.steps);
      expect(r.gradSnapshots.map((g) => g.step)).toEqual(steps);
      // step 0 is the initialization grid's top row; later rows differ as the weights move
      expect(r.gradSnapshots[0]!.hidden).toEqual(r.hiddenGradNorms[r.hiddenGradNorms.length - 1]);
      expect(r.gradSnapshots[steps.length - 1]!.hidden).not.toEqual(r.gradSnapshots[0]!.hidden);
      for (const g of r.gradSnapshots) expect(g.cell !== undefined).toBe(r.cell === 'lstm');
      expect(r.testMseCurve.map((p) => p.step)).toEqual(steps);
      expect(r.testMseCurve[steps.length - 1]!.mse).toBe(r.testMse);
    }
    // the LSTM runs with chrono init: b_f = log U(1, T - 1)
    expect(results.time.runs.filter((r) => r.cell === 'lstm').map((r) => r.forgetGate)).toEqual(expect.arrayContaining(['chrono:10', 'chrono:30']));
  });

  it('runs the cures: every init scheme × activation on a plain net, and clipping on an exploding RNN', () => {
    const c = results.suite.cures;
    for (const name of names) {
      const init = results.cures.init.filter((r) => r.backend === name);
      expect(init.map((r) => `${r.activation} ${r.scheme}`)).toEqual(c.init.activations.flatMap((a) => c.init.schemes.map((s) => `${a} ${s}`)));
      for (const r of init) {
        expect(r.blockNorms).toHaveLength(c.init.depth);
        expect(r.loss).toHaveLength(c.init.steps);
      }
      // He init keeps a ReLU net's gradient where PyTorch's default loses most of it
      const ratio = (scheme: string): number => {
        const r = init.find((x) => x.activation === 'relu' && x.scheme === scheme)!;
        return r.blockNorms[0]! / r.blockNorms[r.blockNorms.length - 1]!;
      };
      expect(ratio('kaiming'), name).toBeGreaterThan(100 * ratio('pytorch'));
      const clip = results.cures.clipping.filter((r) => r.backend === name);
      expect(clip.map((r) => r.clip)).toEqual(['none', 'norm:1', 'value:0.1']);
      for (const r of clip.slice(1)) expect(r.loss.every(Number.isFinite), `${name} ${r.clip}`).toBe(true);
    }
    expect(results.agreement.rows.filter((r) => r.spec.startsWith('init ') || r.spec.startsWith('clip '))).toEqual([]);
  });

  it('heads results with one verdict per claim, each naming its backends and two numbers', () => {
    expect(results.verdicts.map((v) => v.claim)).toEqual([
      'residual keeps the gradient at depth 16 (sigmoid)',
      'residual keeps the gradient at depth 16 (relu)',
      ...(convCapable.length ? ['a deeper plain conv net trains worse, a deeper ResNet does not (MNIST)'] : []),
      'gates carry the gradient across T = 30 (adding problem)',
      "initialization keeps a 8-deep plain relu net's gradient alive",
      'the activation matters at depth 8',
      'gradient clipping tames an exploding gradient',
      ...(adapters.length ? ['every runtime agrees with the float64 reference'] : []),
    ]);
    const depth = results.verdicts[0]!;
    expect(depth.shown).toBe(true);
    expect(depth.text).toMatch(new RegExp(`^shown: residual keeps the gradient at depth 16 \\(sigmoid\\): block 0 gets \\S+ with skips vs \\S+e-\\d+ without \\(${names.join(', ')}\\)$`));
    expect(html.indexOf('<h2>Verdicts</h2>')).toBeLessThan(html.indexOf('<h2>Depth: plain vs residual</h2>'));
    for (const v of results.verdicts) expect(html).toContain(escapeHtml(v.text));
  });

  it('worker threads give the very numbers of the calling thread', async () => {
    const backend = adapters.includes('onnx') ? 'onnx' : 'reference';
    const opts = { backends: [backend], suite: 'smoke' as const, experiments: ['time' as const, 'cures' as const] };
    const [alone, pooled] = [await compare(opts), await compare({ ...opts, workers: 2 })];
    expect(pooled.workers).toBe(2);
    const numbers = (r: CompareResults) => ({ time: r.time.runs, cures: r.cures, agreement: r.agreement, verdicts: r.verdicts.map((v) => v.text) });
    expect(numbers(pooled)).toEqual(numbers(alone));
  }, 120_000);

  const agreementTitle = 'every adapter agrees with the reference within the tolerances';
  it.skipIf(adapters.length === 0)(adapters.length ? agreementTitle : `${agreementTitle} (skipped: no adapter backend builds here)`, () => {
    expect(results.agreement.rows.length).toBeGreaterThan(0);
    for (const row of results.agreement.rows) expect(row, `${row.spec} on ${row.backend}`).toMatchObject({ pass: true });
  });

  it('writes one self-contained HTML page: every chart as inline SVG with its series, log axes, no external URL', () => {
    expect(html).not.toMatch(/<script|<link|<img|@import|src=|href="http|url\((?!#)/i);
    // the only URLs are the SVG/XLink namespace names, which browsers never fetch
    const urls = [...html.matchAll(/https?:\/\/[^\s"'<>]+/g)].map((m) => m[0]);
    expect(new Set(urls)).toEqual(new Set(['http://www.w3.org/2000/svg', 'http://www.w3.org/1999/xlink']));
    for (const act of ['sigmoid', 'relu']) {
      const svg = figure(`depth-blocks-${act}`);
      for (const backend of names) {
        expect(svg).toContain(`residual · ${backend}`);
        expect(svg).toContain(`plain · ${backend}`);
      }
      const ticks = logTicks(svg);
      expect(ticks.length).toBeGreaterThan(2);
      for (const t of ticks) expect(Number.isInteger(Math.log10(t))).toBe(true);
      figure(`depth-loss-${act}`);
    }
    for (const T of [10, 30]) {
      const svg = figure(`time-hidden-T${T}`);
      for (const backend of names) for (const cell of ['rnn', 'gru', `lstm chrono:${T}`]) expect(svg).toContain(`${cell} · ${backend}`);
      for (const backend of stock) expect(svg).toContain(`lstm chrono:${T} (brain.js stock) · ${backend}`);
      expect(logTicks(svg).length).toBeGreaterThan(2);
    }
    expect(figure('time-cell-T30')).toContain('lstm chrono:30 · reference');
    // timestep × training-step heatmaps at the longest T, one per network, and the test MSE during training
    for (const id of ['time-heatmap-h-rnn', 'time-heatmap-h-gru', 'time-heatmap-h-lstm-chrono-30', 'time-heatmap-c-lstm-chrono-30']) expect(figure(id)).toContain('training step');
    expect(figure('time-test-mse-curve-T30')).toContain('baseline: always predict 1.0');
    for (const id of ['cures-init-first-block', 'cures-init-loss', 'cures-clip-norm', 'cures-clip-loss']) expect(logTicks(figure(id)).length, id).toBeGreaterThan(1);
    expect(figure('cures-clip-norm')).toContain('none · reference');
    for (const id of ['mnist-blocks-init', 'mnist-blocks-trained', 'mnist-loss', 'mnist-test-error']) {
      const svg = figure(id);
      // errors in [0, 1] read best on a linear axis; norms and losses span decades
      expect(html).toMatch(new RegExp(`<figure id="${id}" data-axis="${id === 'mnist-test-error' ? 'linear' : 'log'}">`));
      for (const backend of convCapable) for (const net of ['plain-8', 'ResNet-8', 'plain-14', 'ResNet-14']) expect(svg, id).toContain(`${net} · ${backend}`);
      for (const backend of names.filter((n) => !convCapable.includes(n))) expect(svg, id).not.toContain(`· ${backend}`);
    }
    expect(logTicks(figure('mnist-blocks-init')).length).toBeGreaterThan(1);
    expect(html).toContain(`${results.suite.mnist.steps} training steps, batch ${results.suite.mnist.batch}, sgd lr ${results.suite.mnist.optimizer.lr}`);
    expect(html).toMatch(/<p class="verdict">reference: degradation/);
    expect(figure('time-test-mse')).toContain('baseline: always predict 1.0');
    for (const backend of [...names, ...stock]) expect(figure('speed-bars')).toContain(backend);
    expect(html).toMatch(/<figcaption>[^<]{20,}<\/figcaption>/);
    expect(html.match(/<figure /g)!.length).toBe(html.match(/<figcaption>/g)!.length);
  });
});
