import * as ort from 'onnxruntime-web';

/** Float32 feeds by input name, with their shapes. */
export type Feeds = Record<string, { readonly dims: readonly number[]; readonly data: Float32Array }>;

/** Fetched outputs by name: data and dims, copied out of the runtime. */
export type Fetched = Record<string, { readonly dims: readonly number[]; readonly data: Float32Array }>;

export interface SessionOptions {
  /** onnxruntime graph optimization level; `basic` keeps creation of long unrolled graphs fast. */
  readonly graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
}

/** One onnxruntime session over one serialized model. */
export class OnnxSession {
  private constructor(private readonly session: ort.InferenceSession) {}

  static async create(model: Uint8Array, options: SessionOptions = {}): Promise<OnnxSession> {
    const session = await ort.InferenceSession.create(model, {
      executionProviders: ['wasm'],
      graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
    });
    return new OnnxSession(session);
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  async run(feeds: Feeds, fetch: readonly string[] = this.session.outputNames): Promise<Fetched> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor('float32', t.data, t.dims);
    const results = await this.session.run(ortFeeds, fetch);
    const out: Fetched = {};
    for (const name of fetch) {
      const t = results[name]!;
      out[name] = { dims: [...t.dims], data: Float32Array.from(t.data as Float32Array) };
      t.dispose();
    }
    return out;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/**
 * Sessions keyed by what shapes them (purpose, batch, T): built once on first use, released together.
 * A pending creation is shared, so concurrent callers never build the same session twice.
 */
export class SessionCache {
  private readonly sessions = new Map<string, Promise<OnnxSession>>();

  get size(): number {
    return this.sessions.size;
  }

  get(key: string, build: () => Uint8Array, options?: SessionOptions): Promise<OnnxSession> {
    let s = this.sessions.get(key);
    if (!s) {
      s = OnnxSession.create(build(), options);
      this.sessions.set(key, s);
      s.catch(() => this.sessions.delete(key));
    }
    return s;
  }

  async releaseAll(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map(async (s) => (await s.catch(() => undefined))?.release()));
  }
}
