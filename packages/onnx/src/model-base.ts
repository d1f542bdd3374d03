import {
  assertTrainingSupported,
  createOptimizerState,
  DisposedError,
  paramShapes,
  parseTrainingConfig,
  restoreOptimizerState,
  trainingStateOf,
  validateParams,
  type Backend,
  type ModelSpec,
  type OptimizerState,
  type ParamSet,
  type TrainingConfig,
  type TrainingState,
} from '@gradscope/core';
import { paramArrays } from './params.js';
import { SessionCache, type SessionOptions } from './session.js';

/**
 * What every onnx model shares, whatever graph it compiles: host-side weights and optimizer state, a session cache
 * released on dispose, and a queue so a model's calls run in call order (a step sees the weights the previous left).
 */
export abstract class OnnxModelBase<S extends ModelSpec> {
  readonly backend = 'onnx';
  protected params: Record<string, Float32Array>;
  protected readonly sessions = new SessionCache();
  protected config: TrainingConfig | undefined;
  protected state: OptimizerState = createOptimizerState();
  private disposed = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    protected readonly owner: Pick<Backend, 'name' | 'supports'>,
    readonly spec: S,
    params: ParamSet,
    protected readonly sessionOptions: SessionOptions,
    private readonly onDispose: () => void,
  ) {
    this.params = paramArrays(validateParams(spec, params));
  }

  protected alive(): void {
    if (this.disposed) throw new DisposedError('onnx model');
  }

  protected serial<T>(f: () => Promise<T>): Promise<T> {
    const next = this.queue.then(f, f);
    this.queue = next.catch(() => undefined);
    return next;
  }

  configureTraining(config: TrainingConfig): void {
    this.alive();
    const parsed = parseTrainingConfig(config); // a validated copy with PyTorch's defaults (SpecError otherwise)
    assertTrainingSupported(this.owner, parsed);
    this.config = parsed;
    this.state = createOptimizerState();
  }

  /** Every tensor of `paramShapes` (running statistics included), as copies. */
  async getParams(): Promise<ParamSet> {
    this.alive();
    const out: ParamSet = {};
    for (const { name, shape } of paramShapes(this.spec)) out[name] = { shape, data: this.params[name]!.slice() };
    return out;
  }

  async setParams(params: ParamSet): Promise<void> {
    this.alive();
    const next = paramArrays(validateParams(this.spec, params));
    await this.serial(async () => {
      this.params = next;
    });
  }

  async getTrainingState(): Promise<TrainingState> {
    this.alive();
    return trainingStateOf(this.state);
  }

  async setTrainingState(state: TrainingState): Promise<void> {
    this.alive();
    const optimizer = restoreOptimizerState(this.spec, state);
    await this.serial(async () => {
      this.state = optimizer;
    });
  }

  /** Sessions built so far (one per purpose, loss and input shape used; per BatchNorm mode for conv nets). */
  get sessionCount(): number {
    return this.sessions.size;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.onDispose();
    await this.queue;
    await this.sessions.releaseAll();
  }
}
