import { cloneParams, type Backend, type Model, type NetworkSpec, type ParamSet } from '@gradscope/core';

/** Creates a model from a copy of the params, runs `body`, and always disposes the model. */
export async function withModel<T>(backend: Backend, spec: NetworkSpec, params: ParamSet, body: (model: Model) => Promise<T>): Promise<T> {
  const model = await backend.createModel(spec, cloneParams(params));
  try {
    return await body(model);
  } finally {
    await model.dispose();
  }
}

/** The factory every check gets a fresh backend from. */
export type BackendFactory = () => Backend | Promise<Backend>;

/** Creates a backend, runs `body`, and always disposes the backend. */
export async function withBackend<T>(factory: BackendFactory, body: (backend: Backend) => Promise<T>): Promise<T> {
  const backend = await factory();
  try {
    return await body(backend);
  } finally {
    await backend.dispose();
  }
}
