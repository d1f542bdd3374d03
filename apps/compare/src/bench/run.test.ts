import { describe, expect, it } from 'vitest';
import { createReferenceBackend } from '@gradscope/testkit';
import { renderBenchMarkdown } from './markdown.js';
import { runBench } from './run.js';
import type { Workload } from './workloads.js';

const tiny: readonly Workload[] = [
  { id: 'tiny-mlp', label: 'tiny MLP', group: 'main', spec: { kind: 'residual', inputSize: 3, outputSize: 2, width: 4, depth: 2, block: { layers: 1, activation: 'tanh', skip: 'identity' } }, batch: 4 },
  { id: 'tiny-lstm', label: 'tiny LSTM', group: 'main', spec: { kind: 'recurrent', cell: 'lstm', inputSize: 2, hiddenSize: 3, numLayers: 1, outputSize: 1 }, batch: 2, steps: 3 },
];

describe('runBench', () => {
  it('--filter keeps only matching rows; each row has the interleaved spreads and the train() loop columns', async () => {
    const asked: number[] = [];
    const results = await runBench({
      backends: [{ name: 'reference', create: async (threads) => (asked.push(threads), createReferenceBackend()) }],
      workloads: tiny,
      filter: 'reference/tiny-l',
      budget: { timeMs: 1, minIterations: 3, warmupIterations: 1 },
      torch: false,
    });
    expect(asked).toEqual([1]);
    expect(results.rows.map((r) => `${r.backend}/${r.workload}`)).toEqual(['reference/tiny-lstm']);
    expect(results.workloads.map((w) => w.id)).toEqual(['tiny-lstm']);
    const row = results.rows[0]!;
    expect(row.error).toBeUndefined();
    expect(row.samples).toBeGreaterThanOrEqual(3);
    for (const s of [row.spread!.monitorOff, row.spread!.monitorOn, row.spread!.trainLoop]) {
      expect(s.p25Ms).toBeLessThanOrEqual(s.medianMs);
      expect(s.medianMs).toBeLessThanOrEqual(s.p75Ms);
    }
    expect(row.trainLoopRatio).toBeCloseTo(row.trainLoopMs! / row.monitorOffMs!, 12);
    expect(row.baselineKind).toBe('none');
    expect(results.runtimeThreads).toEqual({ reference: undefined });
    const md = renderBenchMarkdown(results);
    expect(md).toContain('| workload | backend | step ms (monitor off) | monitor on | monitor overhead | train() ms / step | train() / step | hand-written ms |');
    expect(md).toContain('measured interleaved');
    expect(md).toContain('Threads: 1 asked');
    expect(md).not.toContain('tiny MLP');
    expect(md.match(/^## (Larger|Scaling)/gm)).toBeNull(); // groups the filter emptied get no table
  });

  it('a filter that matches nothing measures nothing and creates no backend', async () => {
    const results = await runBench({
      backends: [{ name: 'reference', create: () => Promise.reject(new Error('must not be created')) }],
      workloads: tiny,
      filter: 'onnx/',
      torch: false,
    });
    expect(results.rows).toEqual([]);
  });
});

describe('where the time goes', () => {
  it('counts the onnx training graph\'s kernels per step, the same count for both devices, and renders them', async () => {
    const { createOnnxBackend, trainingGraph } = await import('@gradscope/onnx');
    const { parseSpec } = await import('@gradscope/core');
    const results = await runBench({
      backends: [
        { name: 'onnx', create: async (threads) => createOnnxBackend({ threads }) },
        { name: 'onnx-node', create: async (threads) => createOnnxBackend({ threads, device: 'node' }) },
      ],
      workloads: tiny,
      filter: 'tiny-lstm',
      budget: { timeMs: 1, minIterations: 3, warmupIterations: 1 },
      torch: false,
    });
    const graph = trainingGraph(parseSpec(tiny[1]!.spec), { batch: 2, steps: 3, loss: 'mse' });
    const nodes = Object.values(graph.opCounts).reduce((a, b) => a + b, 0);
    expect(results.rows.map((r) => [r.backend, r.kernels?.perStep, r.kernels?.source])).toEqual([
      ['onnx', nodes, 'graph'],
      ['onnx-node', nodes, 'graph'],
    ]);
    const top = results.rows[0]!.kernels!.top;
    expect(top[0]![1]).toBe(Math.max(...Object.values(graph.opCounts)));
    const md = renderBenchMarkdown(results);
    expect(md).toContain('## Where the time goes');
    // no recorded "before" for a workload outside the bench's own list
    expect(md).toContain(`| tiny LSTM | onnx-node | ${nodes} (graph nodes) | — | ${top.map(([op, n]) => `${op} ${n}`).join(', ')} |`);
  });
});

describe('isolated backends', () => {
  it('measures a registry backend in its own worker thread and reports its rows and progress', async () => {
    const { inWorker } = await import('./isolated.js');
    const lines: string[] = [];
    const measured = await inWorker('onnx', { threads: 1 }, (l) => lines.push(l))(['rnn-h32-t50'], { timeMs: 1, minIterations: 3, warmupIterations: 1 });
    expect(lines).toEqual(['onnx rnn-h32-t50']);
    expect(measured.runtime).toBe('onnxruntime-web 1.30.0 (wasm)');
    expect(measured.threads).toBe(1);
    expect(measured.rows).toHaveLength(1);
    expect(measured.rows[0]).toMatchObject({ backend: 'onnx', workload: 'rnn-h32-t50', baselineKind: 'same' });
    expect(measured.rows[0]!.error).toBeUndefined();
    expect(measured.rows[0]!.monitorOffMs).toBeGreaterThan(0);
  });
});
