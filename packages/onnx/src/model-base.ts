import {
  HostTrainedModel,
  paramShapes,
  validateParams,
  type Backend,
  type ModelSpec,
  type ParamSet,
  type TrainingState,
} from '@gradscope/core';
import { paramArrays } from './params.js';
import { SessionCache, type SessionOptions } from './session.js';

/**
 * What every onnx model shares, whatever graph it compiles: host-side weights (core's `HostTrainedModel` holds the
 * optimizer), a session cache released on dispose, and a queue so a model's calls run in call order (a step sees
 * the weights the previous left).
 */
export abstract class OnnxModelBase<S extends ModelSpec> extends HostTrainedModel<S> {
  protected params: Record<string, Float32Array>;
  protected readonly sessions = new SessionCache();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    owner: Pick<Backend, 'name' | 'supports'>,
    spec: S,
    params: ParamSet,
    protected readonly sessionOptions: SessionOptions,
    private readonly onDispose: () => void,
  ) {
    super(owner, spec);
    this.params = paramArrays(validateParams(spec, params));
  }

  protected serial<T>(f: () => Promise<T>): Promise<T> {
    const next = this.queue.then(f, f);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Every tensor of `paramShapes` (running statistics included), as copies. */
  async getParams(): Promise<ParamSet> {
    this.assertLive();
    const out: ParamSet = {};
    for (const { name, shape } of paramShapes(this.spec)) out[name] = { shape, data: this.params[name]!.slice() };
    return out;
  }

  async setParams(params: ParamSet): Promise<void> {
    this.assertLive();
    const next = paramArrays(validateParams(this.spec, params));
    await this.serial(async () => {
      this.params = next;
    });
  }

  /** Queued, so a step already running finishes with the state it started from. */
  override async setTrainingState(state: TrainingState): Promise<void> {
    this.assertLive();
    await this.serial(() => super.setTrainingState(state));
  }

  /** Sessions built so far (one per purpose, loss and input shape used; per BatchNorm mode for conv nets). */
  get sessionCount(): number {
    return this.sessions.size;
  }

  protected async release(): Promise<void> {
    this.onDispose();
    await this.queue;
    await this.sessions.releaseAll();
  }
}
