import {
  assertSpecSupported,
  BACKEND_SPECIFICATION_VERSION,
  DisposedError,
  validateParams,
  type Backend,
  type Model,
  type NetworkSpec,
  type ParamSet,
  type RuntimeInfo,
} from '@gradscope/core';
import { BrainModel } from './model.js';
import type { BrainNetwork } from './network.js';
import { RecurrentNetwork } from './recurrent.js';
import { ResidualNetwork } from './residual.js';
import { StockRecurrentNetwork } from './stock.js';
import { BRAIN_JS_VERSION, brainSupports, type BrainFlavor } from './supports.js';

export interface BrainBackendOptions {
  readonly flavor?: BrainFlavor;
}

/** The brain.js backend. */
export function createBrainBackend(options: BrainBackendOptions = {}): Backend {
  const flavor = options.flavor ?? 'faithful';
  const name = flavor === 'faithful' ? 'brain' : 'brain-stock';
  const supports = brainSupports[flavor];
  const runtime: RuntimeInfo = { name: 'brain.js', version: BRAIN_JS_VERSION, device: 'cpu (js)' };
  const models = new Set<Model>();
  let disposed = false;
  const info = { name, supports };

  return {
    specificationVersion: BACKEND_SPECIFICATION_VERSION,
    name,
    runtime,
    supports,
    async createModel(spec: NetworkSpec, params: ParamSet): Promise<Model> {
      if (disposed) throw new DisposedError(`${name} backend`);
      assertSpecSupported(info, spec);
      const valid = validateParams(spec, params);
      const network: BrainNetwork =
        spec.kind === 'residual' ? new ResidualNetwork(spec) : flavor === 'stock' ? new StockRecurrentNetwork(spec) : new RecurrentNetwork(spec);
      const model = new BrainModel(spec, info, network, valid, (m) => models.delete(m));
      models.add(model);
      return model;
    },
    async dispose(): Promise<void> {
      disposed = true;
      await Promise.all([...models].map((m) => m.dispose()));
    },
  };
}
