import { HostTrainedModel, type Backend, type ModelSpec, type ParamSet } from '@gradscope/core';
import type { AnyTensor } from './network.js';
import { toParams64, toParamSet, withShapes, type Params64, type Tensor64 } from './params64.js';

/**
 * What every reference model shares, dense, recurrent or conv: float64 weights with float32 and float64 accessors;
 * core's `HostTrainedModel` holds the training config and the optimizer state (float64 buffers). Subclasses add
 * forward and gradients.
 */
export abstract class ReferenceModelBase<S extends ModelSpec> extends HostTrainedModel<S> {
  protected params: Params64;
  protected override readonly slotType = Float64Array;

  constructor(
    owner: Pick<Backend, 'name' | 'supports'>,
    /** Parsed, and not shared with the caller. */
    spec: S,
    params: ParamSet,
    private readonly onDispose: () => void,
  ) {
    super(owner, spec);
    this.params = toParams64(spec, params);
  }

  /** Every tensor of `paramShapes` (running statistics included), rounded to float32. */
  async getParams(): Promise<ParamSet> {
    this.assertLive();
    return toParamSet(this.spec, this.params);
  }

  /** The parameters in float64 (copies), with their shapes. */
  async getParams64(): Promise<Record<string, Tensor64>> {
    this.assertLive();
    const copies: Params64 = {};
    for (const [name, p] of Object.entries(this.params)) copies[name] = p.slice();
    return withShapes(this.spec, copies);
  }

  async setParams(params: ParamSet): Promise<void> {
    this.assertLive();
    this.params = toParams64(this.spec, params);
  }

  /** `setParams` for float64 values (validated the same way), so an exact copy of another reference model is possible. */
  async setParams64(params: Record<string, AnyTensor>): Promise<void> {
    this.assertLive();
    this.params = toParams64(this.spec, params);
  }

  protected release(): void {
    this.onDispose();
  }
}
