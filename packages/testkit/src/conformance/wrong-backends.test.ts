import { describe, expect, it } from 'vitest';
import { createReferenceBackend, referenceSupports } from '../reference/backend.js';
import { createMisplacedEpsBackend, createRestrictedBackend, createSloppyBackend, createSwappedGateBackend } from './__fixtures__/wrong-backends.js';
import { describeBackendConformance } from './describe.js';
import { planConformance, runConformance } from './plan.js';
import type { CheckResult, SectionId } from './result.js';

type Outcome = { section: SectionId; title: string; result: CheckResult };
const failed = (outcomes: Outcome[]): string[] => outcomes.filter((o) => !o.result.pass).map((o) => o.title);
const passed = (outcomes: Outcome[]): string[] => outcomes.filter((o) => o.result.pass).map((o) => o.title);

describe('a backend with the LSTM input and forget gates swapped', () => {
  it('fails every LSTM golden (Keras included), the LSTM sweep and the LSTM trajectories — and nothing else', async () => {
    const outcomes = await runConformance({ name: 'swapped', factory: createSwappedGateBackend, only: ['goldens', 'sweep', 'trajectories', 'params'] });
    const lstmTitles = outcomes.map((o) => o.title).filter((t) => t.includes('lstm'));
    expect(lstmTitles).toHaveLength(12 + 1 + 1 + 5); // 12 LSTM goldens, Keras, the LSTM sweep, 5 LSTM trajectories
    expect(failed(outcomes).sort()).toEqual(lstmTitles.sort());
    const keras = outcomes.find((o) => o.title.startsWith('keras lstm goldens'))!;
    expect(keras.result.failures.join('\n')).toMatch(/output: relative error .* > 1\.00e-5/);
  });
});

describe("a backend with Adam's eps inside the square root", () => {
  it('fails the Adam and AdamW trajectories (parameter changes), passes the SGD ones and the goldens', async () => {
    const outcomes = await runConformance({ name: 'eps', factory: createMisplacedEpsBackend, only: ['trajectories'] });
    const adam = outcomes.filter((o) => /adam/.test(o.title)).map((o) => o.title);
    expect(adam).toHaveLength(6);
    expect(failed(outcomes).sort()).toEqual(adam.sort());
    const failure = outcomes.find((o) => o.title.includes('adam weightDecay 0.01 (plain)'))!.result.failures.join('\n');
    expect(failure).toMatch(/step 1 change of [\w.]+: relative error/);
    const goldens = await runConformance({ name: 'eps', factory: createMisplacedEpsBackend, only: ['goldens'] });
    expect(failed(goldens)).toEqual([]);
  });
});

describe('a backend with right numbers but a broken contract', () => {
  it('fails the params, training, checkpoint, dispose and shape checks', async () => {
    const outcomes = await runConformance({ name: 'sloppy', factory: createSloppyBackend, only: ['params', 'training', 'checkpoint', 'dispose', 'shapes'] });
    const byTitle = new Map(outcomes.map((o) => [o.title, o.result]));
    const failures = (title: string): string => {
      const r = byTitle.get(title);
      expect(r?.pass, title).toBe(false);
      return r!.failures.join('\n');
    };
    expect(failures('parameters > residual: createModel -> getParams returns the same weights, bitwise, as copies')).toMatch(/after writing to the given and returned arrays: stem\.weight\[0\] is -7/);
    expect(failures('checkpoint and resume > recurrent: resumed training equals uninterrupted training')).toMatch(/resumed step numbered 1, uninterrupted 3[^]*resumed step 4 loss/);
    expect(failures('dispose > model methods throw DisposedError after dispose(); dispose() twice is harmless')).toMatch(/forward\(\) after model\.dispose\(\): expected DisposedError \(DISPOSED\), but nothing was thrown/);
    expect(failures('training contract > bad configs are SpecErrors naming the path; trainStep before configureTraining is TrainingNotConfiguredError')).toMatch(/a config without schedule: TypeError/);
    expect(failures('training contract > recurrent: a non-finite step is refused and reported, never thrown, and changes nothing')).toMatch(/a NaN target: trainStep threw NonFiniteLossError/);
    expect(failures('invalid input shapes > residual: ShapeErrors name the given and the expected shape')).toMatch(/expected ShapeError \(SHAPE_MISMATCH\), got Error: forward failed/);
  });
});

const lstmOnly = {
  ...referenceSupports,
  residual: { variants: ['dense' as const], activations: ['tanh' as const] },
  recurrent: { cells: ['lstm' as const] },
  losses: ['mse' as const],
  training: false,
  optimizers: [],
  schedules: [],
  clipping: [],
  report: ['blockOutputGradNorms' as const, 'hiddenGradNorms' as const],
};

describe('gating on the supports manifest', () => {
  it('reports every gated section and check as skipped, with the reason', async () => {
    const sections = await planConformance({ name: 'restricted', factory: () => createRestrictedBackend(lstmOnly) });
    const skips = sections.flatMap((s) => (s.skip ? [`${s.title}: ${s.skip}`] : s.checks.filter((c) => c.skip).map((c) => `${s.title} > ${c.title}: ${c.skip}`)));
    expect(skips).toContain('gru goldens: backend does not declare cell "gru"');
    expect(skips).toContain('residual relu goldens: backend does not declare activation "relu"');
    expect(skips).toContain('training trajectories (3 steps, parameter changes per step): backend does not declare training');
    expect(skips).toContain('checkpoint and resume: backend does not declare training');
    expect(skips).toContain('lstm goldens > cellGradNorms: backend does not declare report field "cellGradNorms"');
    expect(skips).toContain('lstm goldens > lstm 1x5 T=5 · crossEntropy: backend does not declare loss "crossEntropy"');
    expect(skips).toContain('property sweep against the reference (fast-check, fixed seed) > rnn networks agree with the reference: backend does not declare cell "rnn"');
  });

  it('runs only contract checks for a backend whose semantics are not PyTorch', async () => {
    const sections = await planConformance({ name: 'other', factory: () => createRestrictedBackend({ ...lstmOnly, semantics: 'brainjs-stock' }) });
    const numeric = sections.filter((s) => ['goldens', 'trajectories', 'sweep'].includes(s.id));
    expect(numeric.length).toBeGreaterThan(0);
    for (const s of numeric) expect(s.skip).toMatch(/semantics is "brainjs-stock", not "pytorch"/);
    expect(sections.filter((s) => !s.skip).map((s) => s.id)).toEqual(['params', 'dispose', 'shapes', 'notSupported']);
  });

  it('passes a restricted backend that throws NotSupportedError for what it leaves out, and fails one that does not', async () => {
    const only: SectionId[] = ['notSupported'];
    const honest = await runConformance({ name: 'honest', factory: () => createRestrictedBackend(lstmOnly), only });
    expect(honest.map((o) => o.title)).toContain('undeclared features > recurrent cell "gru" throws NotSupportedError');
    expect(failed(honest)).toEqual([]);
    const silent = await runConformance({ name: 'silent', factory: () => createRestrictedBackend(lstmOnly, { enforce: false }), only });
    expect(failed(silent).sort()).toEqual(passed(honest).sort());
    expect(silent[0]!.result.failures[0]).toMatch(/expected NotSupportedError \(NOT_SUPPORTED\), but nothing was thrown/);
    // Without the dense variant the activations are moot: the check asks for the variant itself.
    const noDense = await runConformance({ name: 'no dense', factory: () => createRestrictedBackend({ ...lstmOnly, residual: { variants: [], activations: [] } }), only });
    expect(noDense.map((o) => o.title)).toContain('undeclared features > residual variant "dense" throws NotSupportedError');
    expect(noDense.some((o) => o.title.includes('activation'))).toBe(false);
    expect(failed(noDense)).toEqual([]);
  });

  it('checks the resource count hook: back to baseline when models are freed, a failure when they leak', async () => {
    const only: SectionId[] = ['dispose'];
    const live = { count: 0 };
    const ok = await runConformance({ name: 'counted', factory: () => createRestrictedBackend(referenceSupports, { live }), resourceCount: () => live.count, only });
    expect(failed(ok)).toEqual([]);
    expect(ok.map((o) => o.title)).toContain('dispose > resource count returns to its baseline');
    const leaky = { count: 0 };
    const bad = await runConformance({ name: 'leaky', factory: () => createRestrictedBackend(referenceSupports, { live: leaky, leak: true }), resourceCount: () => leaky.count, only });
    expect(failed(bad)).toEqual(['dispose > resource count returns to its baseline']);
  });

  it('refuses a tolerance override: the tolerances are the contract', async () => {
    const options = { name: 'loose', factory: createReferenceBackend, tolerance: 1e-2 };
    await expect(planConformance(options)).rejects.toThrow(/unknown option tolerance \(tolerances are the contract/);
  });
});

// The vitest face of the gating: the skipped sections of a restricted backend show up in this file's output.
describeBackendConformance({ name: 'reference restricted to tanh + LSTM, mse, no training', factory: () => createRestrictedBackend(lstmOnly) });
