import { cloneParams, paramShapes, type Backend, type NetworkSpec, type ParamSet } from '@gradscope/core';
import { compareTensor } from './compare.js';
import { expectGradscopeError } from './errors.js';
import { withModel } from './models.js';
import { runCheck, type CheckLog, type CheckResult } from './result.js';
import { CONFORMANCE_TOLERANCES } from './tolerances.js';

/** A second, different weight set for the same spec (every value changed, still float32). */
export function otherParams(params: ParamSet): ParamSet {
  const out = cloneParams(params);
  for (const t of Object.values(out)) for (let i = 0; i < t.data.length; i++) t.data[i] = 0.01 - 0.5 * t.data[i]!;
  return out;
}

function expectSameParams(log: CheckLog, what: string, spec: NetworkSpec, actual: ParamSet, expected: ParamSet): void {
  const order = paramShapes(spec).map((p) => p.name);
  const names = Object.keys(actual);
  if (names.join() !== order.join()) log.fail(`${what}: names ${names.join(', ')}; expected state_dict order ${order.join(', ')}`);
  for (const name of order) {
    const a = actual[name];
    const e = expected[name]!;
    if (!a) continue;
    if (a.shape.join() !== e.shape.join()) log.fail(`${what}: ${name} has shape [${a.shape.join(', ')}], expected [${e.shape.join(', ')}]`);
    if (a.data.length !== e.data.length) {
      log.fail(`${what}: ${name} has ${a.data.length} values, expected ${e.data.length}`);
      continue;
    }
    const bad = e.data.findIndex((v, i) => !Object.is(a.data[i], v));
    if (bad >= 0) log.fail(`${what}: ${name}[${bad}] is ${a.data[bad]}, expected exactly ${e.data[bad]}`);
  }
}

/** createModel -> getParams gives back exactly the weights (bitwise, state_dict order), as copies. */
export function checkParamsRoundTrip(backend: Backend, spec: NetworkSpec, params: ParamSet): Promise<CheckResult> {
  return runCheck(async (log) => {
    const given = cloneParams(params);
    const model = await backend.createModel(spec, given);
    try {
      expectSameParams(log, 'getParams() after createModel', spec, await model.getParams(), params);
      // Neither the caller's array nor a returned copy may alias the model's weights.
      for (const t of Object.values(given)) t.data.fill(7);
      const copy = await model.getParams();
      for (const t of Object.values(copy)) t.data.fill(-7);
      expectSameParams(log, 'getParams() after writing to the given and returned arrays', spec, await model.getParams(), params);
    } finally {
      await model.dispose();
    }
  });
}

/** setParams -> getParams gives back exactly the new weights, and forward uses them. */
export function checkSetParams(backend: Backend, spec: NetworkSpec, params: ParamSet, input: { shape: readonly number[]; data: Float32Array }): Promise<CheckResult> {
  const next = otherParams(params);
  return runCheck(async (log) => {
    const fresh = await withModel(backend, spec, next, (m) => m.forward(input));
    await withModel(backend, spec, params, async (model) => {
      await model.setParams(cloneParams(next));
      expectSameParams(log, 'getParams() after setParams', spec, await model.getParams(), next);
      compareTensor(log, 'forward after setParams vs a model created with those weights', await model.forward(input), fresh, CONFORMANCE_TOLERANCES.forward);
    });
  });
}

/** setParams with a missing and a wrongly shaped tensor throws one ParamError naming both, and changes nothing. */
export function checkSetParamsRejects(backend: Backend, spec: NetworkSpec, params: ParamSet): Promise<CheckResult> {
  const [first, second] = paramShapes(spec);
  return runCheck((log) =>
    withModel(backend, spec, params, async (model) => {
      const bad = otherParams(params);
      delete bad[first!.name];
      bad[second!.name] = { shape: [...second!.shape, 1], data: bad[second!.name]!.data };
      const message = await expectGradscopeError(log, 'setParams with wrong weights', 'PARAMS_MISMATCH', 'ParamError', () => model.setParams(bad));
      if (message !== undefined) {
        log.expect(message.includes(first!.name), `ParamError message does not name the missing ${first!.name}: ${message}`);
        log.expect(message.includes(second!.name), `ParamError message does not name the wrongly shaped ${second!.name}: ${message}`);
      }
      expectSameParams(log, 'getParams() after a rejected setParams', spec, await model.getParams(), params);
    }),
  );
}
