import { isConvResidual, type Backend } from '@gradscope/core';
import { describe, expect, it } from 'vitest';
import { createReferenceBackend, referenceSupports } from '../reference/backend.js';
import { planConformance } from './plan.js';
import type { BackendFactory } from './models.js';

/** The reference as a backend that realizes only dense residual nets: what the suite skips conv sections for. */
function denseOnlyBackend(): Backend {
  const reference = createReferenceBackend();
  return { ...reference, supports: { ...referenceSupports, residual: { ...referenceSupports.residual, variants: ['dense'] } } };
}

/**
 * The reference with a fault in its conv models. `ignoreEval` makes `setBatchNormMode` do nothing (a backend stuck
 * in train mode); `frozenStats` puts the running statistics back after every training step (a backend that never
 * updates them); `hideStats` leaves them out of `getParams` (a backend that treats them as internal state).
 */
function convBackend({ ignoreEval = false, frozenStats = false, hideStats = false } = {}): BackendFactory {
  return () => {
    const reference = createReferenceBackend();
    const backend: Backend = {
      ...reference,
      async createModel(spec, params) {
        if (!isConvResidual(spec)) return reference.createModel(spec, params);
        const model = await reference.createModel(spec, params);
        if (ignoreEval) model.setBatchNormMode = () => {};
        if (hideStats) {
          const get = model.getParams.bind(model);
          model.getParams = async () => Object.fromEntries(Object.entries(await get()).filter(([n]) => !n.includes('running_')));
        }
        if (frozenStats) {
          const step = model.trainStep.bind(model);
          model.trainStep = async (batch, options) => {
            const stats = Object.entries(await model.getParams()).filter(([n]) => n.includes('running_'));
            const result = await step(batch, options);
            await model.setParams({ ...(await model.getParams()), ...Object.fromEntries(stats) });
            return result;
          };
        }
        return model;
      },
      dispose: () => reference.dispose(),
    };
    return backend;
  };
}

async function convSection(factory: BackendFactory) {
  const sections = await planConformance({ name: 'conv', factory, only: ['goldens'] });
  return sections.find((s) => s.title.startsWith('conv residual goldens'))!;
}

describe('conformance: conv residual goldens', () => {
  it('are skipped, with the reason, for a backend that does not declare variant "conv"', async () => {
    const section = await convSection(denseOnlyBackend);
    expect(section.skip).toBe('backend does not declare residual variant "conv"');
  });

  it('pass on the reference, which computes them as PyTorch does (BN train and eval, running statistics)', async () => {
    const section = await convSection(createReferenceBackend);
    expect(section.skip).toBeUndefined();
    expect(section.checks).toHaveLength(1 + 18 + 2);
    const results = await Promise.all(section.checks.map(async (c) => ({ title: c.title, result: await c.run() })));
    expect(results.filter((r) => !r.result.pass).map((r) => `${r.title}: ${r.result.failures.join('; ')}`)).toEqual([]);
  });

  it('fail the trajectories, and only those, when training steps do not update the running statistics', async () => {
    const section = await convSection(convBackend({ frozenStats: true }));
    const results = await Promise.all(section.checks.map(async (c) => ({ title: c.title, result: await c.run() })));
    const failed = results.filter((r) => !r.result.pass);
    expect(failed.map((r) => r.title)).toEqual(results.map((r) => r.title).filter((t) => t.startsWith('trajectory') || t.includes('norm batch BN train')));
    expect(failed[0]!.result.failures.join('\n')).toMatch(/running_mean/);
  });

  it('fail the contract check when getParams leaves the running statistics out', async () => {
    const section = await convSection(convBackend({ hideStats: true }));
    const contract = await section.checks[0]!.run();
    expect(contract.pass).toBe(false);
    expect(contract.failures).toContain('getParams() has no bn1.running_mean');
  });

  it('fail the eval-mode cases, and only those, when the model ignores setBatchNormMode', async () => {
    const section = await convSection(convBackend({ ignoreEval: true }));
    const results = await Promise.all(section.checks.map(async (c) => ({ title: c.title, result: await c.run() })));
    const failed = results.filter((r) => !r.result.pass).map((r) => r.title);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed).toEqual(results.map((r) => r.title).filter((t) => t.includes('BN eval')));
    expect(results.find((r) => !r.result.pass)!.result.failures.join('\n')).toMatch(/forward output: relative error/);
  });
});
