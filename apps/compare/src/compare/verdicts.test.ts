import { describe, expect, it } from 'vitest';
import type { ClipCureRun, CompareResults, DepthRun, InitCureRun, TimeRun } from './results.js';
import { suites } from './suites.js';
import { computeVerdicts } from './verdicts.js';

const backends = ['tfjs', 'onnx'];

function empty(): CompareResults {
  return {
    gradscopeCompareVersion: 'test',
    suite: suites.quick,
    experiments: ['depth', 'time', 'mnist', 'cures'],
    seed: 0,
    startedAt: '2026-12-03T00:00:00.000Z',
    durationMs: 0,
    machine: { os: 'linux', arch: 'x64', cpuModel: 'cpu', cores: 2, node: 'v20' },
    backends: [],
    depth: { runs: [] },
    time: { baselineMse: 1 / 6, runs: [] },
    mnist: { runs: [], degradation: { window: 6, margin: 0.05, rows: [], verdicts: [] } },
    cures: { init: [], clipping: [] },
    agreement: { tolerances: { output: 1e-5, grads: 1e-4, norms: 1e-3 }, rows: [] },
    verdicts: [],
    workers: 1,
    speed: { rows: [] },
    skipped: [],
  };
}

const depthRun = (backend: string, architecture: DepthRun['architecture'], first: number): DepthRun => ({
  backend,
  architecture,
  activation: 'sigmoid',
  depth: 32,
  spec: { kind: 'residual', inputSize: 2, outputSize: 2, width: 16, depth: 32, block: { layers: 1, activation: 'sigmoid', skip: architecture === 'residual' ? 'identity' : 'none' } } as DepthRun['spec'],
  blockNorms: [{ step: 0, norms: [first, 0.01, 0.057] }],
  loss: [0.7],
});

const timeRun = (backend: string, cell: TimeRun['cell'], forgetGate: string, testMse: number, seed = 0): TimeRun => ({
  backend,
  cell,
  forgetGate,
  label: forgetGate === 'pytorch' ? cell : `${cell} ${forgetGate}`,
  T: 50,
  seed,
  spec: { kind: 'recurrent', cell, inputSize: 2, hiddenSize: 16, numLayers: 1, outputSize: 1 } as TimeRun['spec'],
  hiddenGradNorms: [[1e-12, 0.2]],
  gradSnapshots: [],
  loss: [0.1],
  testMse,
  testMseCurve: [],
});

const byText = (r: CompareResults, claim: string) => {
  const v = r.verdicts.find((x) => x.claim.startsWith(claim));
  if (!v) throw new Error(`no verdict "${claim}" in ${r.verdicts.map((x) => x.claim).join(' / ')}`);
  return v;
};

describe('verdicts from given numbers', () => {
  it('depth: shown when the residual first block keeps >= 0.1 of the last block and the plain one < 1e-3; the line carries both numbers', () => {
    const r = empty();
    r.depth.runs = backends.flatMap((b) => [depthRun(b, 'plain', 5.3e-29), depthRun(b, 'residual', 0.078)]);
    r.verdicts = computeVerdicts(r);
    const v = byText(r, 'residual keeps the gradient at depth 32 (sigmoid)');
    expect(v.shown).toBe(true);
    expect(v.text).toBe('shown: residual keeps the gradient at depth 32 (sigmoid): block 0 gets 0.078 with skips vs 5.30e-29 without (tfjs, onnx)');

    // a plain net that still gets 1% of the gradient at block 0 does not show it, and the line names the backend
    r.depth.runs = [depthRun('tfjs', 'plain', 5.3e-29), depthRun('tfjs', 'residual', 0.078), depthRun('onnx', 'plain', 5.7e-4 * 100), depthRun('onnx', 'residual', 0.078)];
    const again = computeVerdicts(r).find((x) => x.experiment === 'depth')!;
    expect(again.shown).toBe(false);
    expect(again.text).toMatch(/^NOT shown: .*\(tfjs\); not on onnx \(block 0 gets 0.078 with skips vs 0.057 without\)$/);
  });

  it('time: shown when GRU and the LSTM are at most 0.05 and the RNN at least 0.12; the median over seeds decides', () => {
    const r = empty();
    r.time.runs = backends.flatMap((b) => [timeRun(b, 'rnn', 'pytorch', 0.16), timeRun(b, 'gru', 'pytorch', 0.009), timeRun(b, 'lstm', 'chrono:50', 0.015)]);
    r.verdicts = computeVerdicts(r);
    const v = byText(r, 'gates carry the gradient across T = 50');
    expect(v).toMatchObject({ shown: true, text: 'shown: gates carry the gradient across T = 50 (adding problem): test MSE GRU 0.009, lstm chrono:50 0.015 vs tanh RNN 0.16 (tfjs, onnx)' });

    // the LSTM stuck on one backend: not shown there
    r.time.runs = r.time.runs.map((x) => (x.backend === 'onnx' && x.cell === 'lstm' ? { ...x, testMse: 0.159 } : x));
    expect(byText({ ...r, verdicts: computeVerdicts(r) }, 'gates carry').shown).toBe(false);

    // three seeds: 2 of 3 learn, so the median does; an RNN that learned (0.1 < 0.12) breaks the claim
    r.time.runs = [0, 1, 2].flatMap((seed) => [
      timeRun('onnx', 'rnn', 'pytorch', 0.16, seed),
      timeRun('onnx', 'gru', 'pytorch', seed === 1 ? 0.16 : 0.004, seed),
      timeRun('onnx', 'lstm', 'chrono:50', 0.008, seed),
    ]);
    const seeds = byText({ ...r, verdicts: computeVerdicts(r) }, 'gates carry');
    expect(seeds.shown).toBe(true);
    expect(seeds.text).toContain('(median of 3 seeds)');
    r.time.runs = r.time.runs.map((x) => (x.cell === 'rnn' ? { ...x, testMse: 0.1 } : x));
    expect(byText({ ...r, verdicts: computeVerdicts(r) }, 'gates carry').shown).toBe(false);
  });

  it('time: with PyTorch default and chrono LSTMs, says whether the init made the difference', () => {
    const r = empty();
    r.time.runs = [timeRun('onnx', 'rnn', 'pytorch', 0.16), timeRun('onnx', 'gru', 'pytorch', 0.001), timeRun('onnx', 'lstm', 'pytorch', 0.162), timeRun('onnx', 'lstm', 'chrono:50', 0.004)];
    r.verdicts = computeVerdicts(r);
    expect(byText(r, 'the forget-gate init chrono:50').text).toBe("shown: the forget-gate init chrono:50 lets the LSTM learn T = 50: test MSE 0.004 vs 0.162 with PyTorch's default init (onnx)");
  });

  it('cures: initialization, activation and clipping from their numbers', () => {
    const r = empty();
    const init = (scheme: InitCureRun['scheme'], activation: InitCureRun['activation'], first: number): InitCureRun => ({ backend: 'onnx', scheme, activation, depth: 32, blockNorms: [first, 0.5, 1], loss: [0.3] });
    r.cures.init = [init('pytorch', 'relu', 1e-8), init('kaiming', 'relu', 0.9), init('normal', 'relu', 1e12), init('pytorch', 'sigmoid', 1e-20)];
    const clip = (c: string, gradNorm: number[], nonFiniteAt?: number): ClipCureRun => ({ backend: 'onnx', clip: c, gradNorm, loss: gradNorm.map(() => 0.2), ...(nonFiniteAt !== undefined && { nonFiniteAt }) });
    r.cures.clipping = [clip('none', [10, 1e12, Infinity], 3), clip('norm:1', [10, 3, 1]), clip('value:0.1', [10, 2, 1])];
    r.verdicts = computeVerdicts(r);
    expect(byText(r, 'initialization keeps').text).toBe("shown: initialization keeps a 32-deep plain relu net's gradient alive: block 0 / last block 0.9 with kaiming vs 1.00e-8 with PyTorch's default (onnx)");
    expect(byText(r, 'the activation matters').shown).toBe(true);
    expect(byText(r, 'gradient clipping').text).toBe('shown: gradient clipping tames an exploding gradient: unclipped the norm reaches 1.00e+12 and the loss is not finite at step 3; norm:1 ends at loss 0.2, value:0.1 ends at loss 0.2 (onnx)');

    // a clipped run that overflowed too: not shown
    r.cures.clipping[1] = clip('norm:1', [10, NaN], 2);
    expect(byText({ ...r, verdicts: computeVerdicts(r) }, 'gradient clipping').shown).toBe(false);
    // an unclipped run that never exploded: not shown
    r.cures.clipping = [clip('none', [10, 20]), clip('norm:1', [10, 3])];
    expect(byText({ ...r, verdicts: computeVerdicts(r) }, 'gradient clipping').shown).toBe(false);
  });
});
