// Test doubles around the reference backend: deliberately wrong ones (the suite must fail them) and a restricted one
// (the suite must gate on its manifest). Not shipped: tsconfig excludes __fixtures__.
import {
  applyOptimizer,
  assertSpecSupported,
  assertTrainingSupported,
  clipGradients,
  cloneOptimizerState,
  createOptimizerState,
  learningRateAt,
  NonFiniteLossError,
  isConvResidual,
  NotSupportedError,
  type Backend,
  type Model,
  type NetworkSpec,
  type OptimizerSpec,
  type OptimizerState,
  type ParamSet,
  type Supports,
  type TrainingConfig,
} from '@gradscope/core';
import { createReferenceBackend } from '../../reference/backend.js';

/**
 * A backend made of a reference backend and a function that wraps each of its models. The doubles wrap dense and
 * recurrent models only, so they never declare residual variant "conv" (the suite skips its conv sections).
 */
function wrapReference(
  name: string,
  supports: Supports,
  wrap: (inner: Model, spec: NetworkSpec, owner: Backend) => Model,
  prepare = (_spec: NetworkSpec, p: ParamSet) => p,
  checkSpec = true,
): Backend {
  const inner = createReferenceBackend();
  const backend: Backend = {
    specificationVersion: inner.specificationVersion,
    name,
    runtime: inner.runtime,
    supports: { ...supports, residual: { ...supports.residual, variants: supports.residual.variants.filter((v) => v !== 'conv') } },
    async createModel(spec, params) {
      if (checkSpec) assertSpecSupported(backend, spec);
      if (isConvResidual(spec)) throw new NotSupportedError(name, 'residual variant "conv"');
      return wrap(await inner.createModel(spec, prepare(spec, params)), spec, backend);
    },
    dispose: () => inner.dispose(),
  };
  return backend;
}

/** Swaps the i and f gate blocks (rows [0,H) and [H,2H)) of every LSTM weight and bias; its own inverse. */
export function swapLstmInputForgetGates(spec: NetworkSpec, params: ParamSet): ParamSet {
  if (spec.kind !== 'recurrent' || spec.cell !== 'lstm') return params;
  const h = spec.hiddenSize;
  const out: ParamSet = {};
  for (const [name, t] of Object.entries(params)) {
    const data = t.data.slice();
    if (name.startsWith('lstm.')) {
      const row = t.shape[1] ?? 1;
      data.set(t.data.subarray(h * row, 2 * h * row), 0);
      data.set(t.data.subarray(0, h * row), h * row);
    }
    out[name] = { shape: [...t.shape], data };
  }
  return out;
}

/**
 * An adapter that reads PyTorch's LSTM gate order wrongly (i and f swapped) — consistently in both directions, so
 * weights round-trip and only the numbers are wrong, as with a real layout bug.
 */
export function createSwappedGateBackend(): Backend {
  const swap = swapLstmInputForgetGates;
  return wrapReference(
    'swapped-lstm-gates',
    createReferenceBackend().supports,
    (inner, spec) => ({
      spec: inner.spec,
      backend: 'swapped-lstm-gates',
      forward: (input) => inner.forward(input),
      computeGradients: async (batch, loss) => {
        const r = await inner.computeGradients(batch, loss);
        return { ...r, grads: swap(spec, r.grads) };
      },
      configureTraining: (config) => inner.configureTraining(config),
      trainStep: (batch, options) => inner.trainStep(batch, options),
      getParams: async () => swap(spec, await inner.getParams()),
      setParams: (params) => inner.setParams(swap(spec, params)),
      getTrainingState: () => inner.getTrainingState(),
      setTrainingState: (state) => inner.setTrainingState(state),
      dispose: () => inner.dispose(),
    }),
    swap,
  );
}

/** Adam(W) with eps inside the square root — `sqrt(v̂ + eps)` instead of PyTorch's `sqrt(v̂) + eps`. */
function adamEpsInsideSqrt(spec: Extract<OptimizerSpec, { type: 'adam' | 'adamw' }>, state: OptimizerState, params: Record<string, Float64Array>, grads: Record<string, Float64Array>, lr: number): void {
  state.step += 1;
  const [b1, b2] = spec.betas;
  for (const [name, p] of Object.entries(params)) {
    const g = grads[name]!;
    const m = ((state.slots['exp_avg'] ??= {})[name] ??= new Float64Array(p.length));
    const v = ((state.slots['exp_avg_sq'] ??= {})[name] ??= new Float64Array(p.length));
    for (let i = 0; i < p.length; i++) {
      if (spec.type === 'adamw') p[i]! *= 1 - lr * spec.weightDecay;
      const gi = g[i]! + (spec.type === 'adam' ? spec.weightDecay * p[i]! : 0);
      m[i] = b1 * m[i]! + (1 - b1) * gi;
      v[i] = b2 * v[i]! + (1 - b2) * gi * gi;
      p[i] = p[i]! - (lr * (m[i]! / (1 - b1 ** state.step))) / Math.sqrt(v[i]! / (1 - b2 ** state.step) + spec.eps);
    }
  }
}

const toF64 = (ps: ParamSet): Record<string, Float64Array> => Object.fromEntries(Object.entries(ps).map(([n, t]) => [n, Float64Array.from(t.data)]));

/** A backend whose gradients are right but whose Adam puts eps inside the square root. */
export function createMisplacedEpsBackend(): Backend {
  return wrapReference('adam-eps-inside-sqrt', createReferenceBackend().supports, (inner, spec, owner) => {
    let config: TrainingConfig | undefined;
    let state = createOptimizerState();
    return {
      spec,
      backend: owner.name,
      forward: (input) => inner.forward(input),
      computeGradients: (batch, loss) => inner.computeGradients(batch, loss),
      configureTraining(c) {
        assertTrainingSupported(owner, c);
        config = c;
        state = createOptimizerState();
      },
      async trainStep(batch) {
        if (!config) throw new Error('configureTraining first');
        const r = await inner.computeGradients(batch, config.loss);
        const params = toF64(await inner.getParams());
        const grads = toF64(r.grads);
        const { totalNorm, coef } = clipGradients(grads, config.clip);
        const lr = learningRateAt(config.schedule, config.optimizer.lr, state.step);
        if (config.optimizer.type === 'sgd') applyOptimizer(config.optimizer, state, params, grads, lr);
        else adamEpsInsideSqrt(config.optimizer, state, params, grads, lr);
        await inner.setParams(Object.fromEntries(Object.entries(params).map(([n, p]) => [n, { shape: r.grads[n]!.shape, data: Float32Array.from(p) }])));
        return { step: state.step, loss: r.loss, lr, gradNorm: totalNorm, clipCoef: coef };
      },
      getParams: () => inner.getParams(),
      setParams: (params) => inner.setParams(params),
      getTrainingState: async () => ({ step: state.step, optimizer: cloneOptimizerState(state) }),
      async setTrainingState(s) {
        state = cloneOptimizerState(s.optimizer);
      },
      dispose: () => inner.dispose(),
    };
  });
}

/** The reference restricted to a smaller manifest, enforcing it like a real backend; counts its live models. */
export function createRestrictedBackend(supports: Supports, options: { enforce?: boolean; leak?: boolean; live?: { count: number } } = {}): Backend {
  const { enforce = true, leak = false, live = { count: 0 } } = options;
  return wrapReference(
    'restricted',
    supports,
    (inner, spec, owner) => {
      live.count += 1;
      let disposed = false;
      return {
        spec,
        backend: owner.name,
        forward: (input) => inner.forward(input),
        computeGradients: (batch, loss) => {
          if (enforce && !owner.supports.losses.includes(loss)) throw new NotSupportedError(owner.name, `loss "${loss}"`);
          return inner.computeGradients(batch, loss);
        },
        configureTraining: (config) => {
          if (enforce) assertTrainingSupported(owner, config);
          inner.configureTraining(config);
        },
        trainStep: (batch, o) => inner.trainStep(batch, o),
        getParams: () => inner.getParams(),
        setParams: (params) => inner.setParams(params),
        getTrainingState: () => inner.getTrainingState(),
        setTrainingState: (state) => inner.setTrainingState(state),
        async dispose() {
          if (!disposed && !leak) live.count -= 1;
          disposed = true;
          await inner.dispose();
        },
      };
    },
    undefined,
    enforce,
  );
}

/**
 * Right numbers, broken contract: getParams hands out its own cached object, setTrainingState is ignored, dispose()
 * does nothing, and input errors come out as plain Errors without the shapes.
 */
export function createSloppyBackend(): Backend {
  return wrapReference('sloppy', createReferenceBackend().supports, (inner, spec, owner) => {
    let cached: ParamSet | undefined;
    return {
      spec,
      backend: owner.name,
      async forward(input) {
        try {
          return await inner.forward(input);
        } catch {
          throw new Error('forward failed');
        }
      },
      computeGradients: (batch, loss) => inner.computeGradients(batch, loss),
      configureTraining(config) {
        // Reads the config unparsed (as tfjs once did): a missing schedule is a raw TypeError.
        if (config.schedule.type !== 'constant' && !owner.supports.schedules.includes(config.schedule.type)) throw new Error('unsupported schedule');
        inner.configureTraining(config);
      },
      async trainStep(batch, options) {
        cached = undefined;
        const result = await inner.trainStep(batch, options);
        // Throws instead of reporting (as brain once did).
        if (result.nonFinite) throw new NonFiniteLossError(result.step, result.loss);
        return result;
      },
      getParams: async () => (cached ??= await inner.getParams()),
      async setParams(params) {
        cached = undefined;
        await inner.setParams(params);
      },
      getTrainingState: () => inner.getTrainingState(),
      setTrainingState: async () => {},
      dispose: async () => {},
    };
  });
}
