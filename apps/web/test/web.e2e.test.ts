import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createBrainBackend } from '@gradscope/brain';
import { digitsFromFiles, runWorkload, TOLERANCES, type CompareResults, type MnistDigits } from '@gradscope/compare/browser';
import type { Backend } from '@gradscope/core';
import { createOnnxBackend } from '@gradscope/onnx';
import { createTfjsBackend } from '@gradscope/tfjs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWorkload } from '../src/experiment.js';
import { parseState, type WebBackend } from '../src/state.js';

// The built page (dist/, from `pnpm build`) in Debian's chromium via `vite preview`, against the same packages in Node.

const webRoot = fileURLToPath(new URL('..', import.meta.url));
const out = join(webRoot, 'test-output');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLOAT32_MIN_NORMAL = 1.17549435e-38;

let preview: ChildProcess;
let browser: Browser;
let base: string;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitForServer(url: string, ms: number): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error(`vite preview did not answer at ${url} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  if (!existsSync(join(webRoot, 'dist', 'index.html'))) throw new Error('apps/web/dist is missing: run `pnpm build` first');
  if (!existsSync(chromiumPath)) throw new Error(`no chromium at ${chromiumPath}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const port = await freePort();
  base = `http://127.0.0.1:${port}/`;
  preview = spawn(process.execPath, [join(webRoot, 'node_modules', 'vite', 'bin', 'vite.js'), 'preview', '--host', '127.0.0.1', '--port', String(port), '--strictPort'], { cwd: webRoot, stdio: 'ignore' });
  await waitForServer(base, 20_000);
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
});

afterAll(async () => {
  await browser?.close();
  preview?.kill();
});

async function open(search: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // the page must not reach beyond its own server (no CDN, no telemetry)
  const requested: string[] = [];
  page.on('request', (r) => {
    requested.push(r.url());
    if (!r.url().startsWith(base) && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) errors.push(`request outside the page's server: ${r.url()}`);
  });
  Object.assign(page, { errors, requested });
  await page.goto(base + search);
  return page;
}

const pageErrors = (page: Page): string[] => (page as Page & { errors: string[] }).errors;
const requests = (page: Page): string[] => (page as Page & { requested: string[] }).requested;

/** Waits until every backend has finished, then downloads results.json through the page's button. */
async function finishAndDownload(page: Page, name: string): Promise<CompareResults> {
  await page.waitForSelector('body[data-run="done"]', { timeout: 90_000 });
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
  const file = join(out, name);
  await download.saveAs(file);
  return JSON.parse(await readFile(file, 'utf8')) as CompareResults;
}

async function points(page: Page, chart: string): Promise<number> {
  return Number(await page.getAttribute(`#chart-${chart}`, 'data-points'));
}

const nodeBackends: Record<WebBackend, () => Promise<Backend>> = {
  tfjs: () => createTfjsBackend({ backend: 'wasm' }),
  onnx: async () => createOnnxBackend(),
  brain: async () => createBrainBackend(),
};

/** DESIGN.md's rule for norm series: within 1e-3 of each value, or both below float32's smallest normal. */
function expectSameNorms(page: readonly number[], node: readonly number[], what: string): void {
  expect(page.length, what).toBe(node.length);
  node.forEach((n, i) => {
    const p = page[i]!;
    if (Math.abs(p) < FLOAT32_MIN_NORMAL && Math.abs(n) < FLOAT32_MIN_NORMAL) return;
    expect(Math.abs(p - n) / Math.abs(n), `${what}[${i}]: page ${p}, Node ${n}`).toBeLessThanOrEqual(TOLERANCES.norms);
  });
}

/** The `mnist` package's digit files, as the page fetches them. */
async function mnistDigits(): Promise<MnistDigits> {
  const dir = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
  const files = await Promise.all(Array.from({ length: 10 }, async (_, d) => (JSON.parse(await readFile(join(dir, `${d}.json`), 'utf8')) as { data: number[] }).data));
  return digitsFromFiles(files);
}

/** The workload's gradients at init on each backend in this Node process (same packages, same seed and spec). */
async function nodeInitial(search: string, backend: WebBackend, digits?: MnistDigits) {
  const parsed = parseState(search);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const b = await nodeBackends[backend]();
  try {
    return (await runWorkload(b, buildWorkload(parsed.state, digits), false)).initial;
  } finally {
    await b.dispose();
  }
}

/** Node's side for each backend in turn, started before the page opens so both sides compute at once. */
function nodeSide(search: string, backends: readonly WebBackend[], digits?: Promise<MnistDigits>) {
  return (async () => {
    const d = await digits;
    const out = new Map<WebBackend, Awaited<ReturnType<typeof nodeInitial>>>();
    for (const b of backends) out.set(b, await nodeInitial(search, b, d));
    return out;
  })();
}

const all: WebBackend[] = ['tfjs', 'onnx', 'brain'];

describe('the web page in Chromium', () => {
  it('depth: a plain sigmoid net trains live on all three backends; gradients at init match Node; the report renders', async () => {
    const search = '?experiment=depth&backends=tfjs,onnx,brain&tfjs=auto&seed=3&steps=12&every=4&arch=plain&depth=8&activation=sigmoid&init=pytorch&width=12';
    const node = nodeSide(search, all);
    const page = await open(search);
    const results = await finishAndDownload(page, 'depth-results.json');
    expect(await page.textContent('#status')).toContain('@tensorflow/tfjs (wasm)');
    // COOP/COEP from vite preview, and both runtimes' .wasm from the build's own assets
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    expect(requests(page).filter((u) => u.endsWith('.wasm')).map((u) => u.slice(base.length).replace(/-[\w-]{8}\.wasm$/, '.wasm')).sort()).toEqual([
      'assets/ort-wasm-simd-threaded.wasm',
      'assets/tfjs-backend-wasm-simd.wasm',
    ]);
    for (const b of all) expect(await points(page, `heatmap-${b}`), `heatmap of ${b}`).toBe(8 * 4); // 8 blocks × steps 0, 4, 8, 12
    expect(await points(page, 'loss')).toBe(3 * 12);
    await page.screenshot({ path: join(out, 'depth.png'), fullPage: true });
    // The README's picture is refreshed only when asked, so a test run leaves the work tree clean.
    if (process.env['GRADSCOPE_UPDATE_SCREENSHOT']) await copyFile(join(out, 'depth.png'), join(webRoot, 'docs', 'screenshot.png'));

    expect(results.suite.name).toBe('web');
    expect(results.depth.runs.map((r) => r.backend)).toEqual(all);
    for (const b of all) {
      const run = results.depth.runs.find((r) => r.backend === b)!;
      expect(run.loss).toHaveLength(12);
      expectSameNorms(run.blockNorms[0]!.norms, (await node).get(b)!.blockOutputGradNorms!, `${b} block norms at init`);
    }

    const reportDir = join(out, 'report');
    await promisify(execFile)(process.execPath, [join(webRoot, '..', 'compare', 'dist', 'cli.js'), 'report', join(out, 'depth-results.json'), '--out', reportDir]);
    const html = await readFile(join(reportDir, 'index.html'), 'utf8');
    expect(html).toContain('id="depth-blocks-sigmoid"');
    expect(html).toContain('Suite <b>web</b>');
    expect(pageErrors(page)).toEqual([]);
    await page.close();
  });

  it('time: an LSTM with chrono init on all three backends; per-timestep gradients at init match Node', async () => {
    const search = '?experiment=time&backends=tfjs,onnx,brain&tfjs=wasm&seed=1&steps=3&every=1&cell=lstm&T=8&forget=chrono:T&hidden=8';
    const node = nodeSide(search, all);
    const page = await open(search);
    const results = await finishAndDownload(page, 'time-results.json');
    expect(await points(page, 'profile')).toBeGreaterThan(0);
    for (const b of all) {
      expect(await points(page, `heatmap-${b}`), `heatmap of ${b}`).toBe(8 * 4);
      const run = results.time.runs.find((r) => r.backend === b)!;
      expect(run.label).toBe('lstm chrono:8');
      const initial = (await node).get(b)!;
      expectSameNorms(run.hiddenGradNorms.flat(), initial.hiddenGradNorms!.flat(), `${b} ||dL/dh_t|| at init`);
      expectSameNorms(run.cellGradNorms!.flat(), initial.cellGradNorms!.flat(), `${b} ||dL/dc_t|| at init`);
    }
    expect(pageErrors(page)).toEqual([]);
    await page.close();
  });

  it('conv nets on MNIST digits: tfjs and onnx match Node; brain.js says it cannot build a conv net', async () => {
    const search = '?experiment=mnist&backends=tfjs,onnx,brain&tfjs=wasm&seed=0&steps=2&every=1&arch=residual&depth=8';
    const node = nodeSide(search, ['tfjs', 'onnx'], mnistDigits());
    const page = await open(search);
    const results = await finishAndDownload(page, 'mnist-results.json');
    expect(await page.textContent('#status')).toContain('brain: cannot run this network: brain backend does not support residual variant "conv"');
    expect(results.skipped).toMatchObject([{ backend: 'brain', kind: 'unsupported' }]);
    for (const b of ['tfjs', 'onnx'] as const) {
      expect(await points(page, `heatmap-${b}`), `heatmap of ${b}`).toBe(3 * 3); // one BasicBlock per stage × steps 0, 1, 2
      const run = results.mnist.runs.find((r) => r.backend === b)!;
      expect(run.loss).toHaveLength(2);
      expectSameNorms(run.blockNorms[0]!.norms, (await node).get(b)!.blockOutputGradNorms!, `${b} block norms at init`);
    }
    expect(pageErrors(page)).toEqual([]);
    await page.close();
  });

  it('Stop ends the run and keeps what was drawn', async () => {
    const page = await open('?experiment=depth&backends=brain&steps=5000&every=50&depth=8');
    await page.waitForFunction(() => Number(document.querySelector('#chart-loss')?.getAttribute('data-points')) > 20, undefined, { timeout: 60_000 });
    await page.click('#stop');
    await page.waitForSelector('body[data-run="stopped"]');
    const drawn = await points(page, 'loss');
    await page.waitForTimeout(1000);
    expect(await points(page, 'loss')).toBe(drawn);
    expect(drawn).toBeLessThan(5000);
    expect(await page.textContent('#status')).toMatch(/brain: stopped after \d+ of 5000 steps/);
    expect(await points(page, 'heatmap-brain')).toBeGreaterThan(0);
    await page.close();
  });

  it('a bad URL parameter is named on the page with its allowed values, and nothing runs', async () => {
    const page = await open('?experiment=depth&activation=rleu&steps=ten');
    const problems = await page.textContent('#problems');
    expect(problems).toContain('URL parameter "activation": expected one of relu|tanh|sigmoid|leakyRelu|gelu|linear, got "rleu"');
    expect(problems).toContain('URL parameter "steps": expected an integer from 0 to 5000, got "ten"');
    expect(await page.isVisible('#run')).toBe(true);
    expect(await page.$$('figure')).toHaveLength(0);
    await page.screenshot({ path: join(out, 'bad-url.png') });
    await page.close();
  });
});
