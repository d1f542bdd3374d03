import type * as ort from 'onnxruntime-web';
import { loadOrtRuntime, type OrtRuntime } from './device.js';

/** Float32 feeds by input name, with their shapes. */
export type Feeds = Record<string, { readonly dims: readonly number[]; readonly data: Float32Array }>;

/** Fetched outputs by name: data and dims, copied out of the runtime. */
export type Fetched = Record<string, { readonly dims: readonly number[]; readonly data: Float32Array }>;

export interface SessionOptions {
  /** onnxruntime graph optimization level (default `basic`). */
  readonly graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** onnxruntime's intra-op thread count; left unset, onnxruntime picks one from the core count. */
  readonly intraOpNumThreads?: number;
  /** Which onnxruntime runs the session (default: onnxruntime-web's wasm build). */
  readonly runtime?: OrtRuntime;
}

let live = 0;

/**
 * onnxruntime-web's wasm runtime fails ("failed to call OrtRun()") when runs of different sessions overlap, so
 * every call into it goes through this one queue, whichever model or session it comes from. onnxruntime-node's
 * sessions use it as well, so both devices run calls in the same order.
 */
let tail: Promise<unknown> = Promise.resolve();
function exclusive<T>(f: () => Promise<T>): Promise<T> {
  const next = tail.then(f, f);
  tail = next.catch(() => undefined);
  return next;
}

/** onnxruntime sessions created by this package and not yet released (for leak checks). */
export function liveSessionCount(): number {
  return live;
}

/** One onnxruntime session over one serialized model. */
export class OnnxSession {
  private released = false;

  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly runtime: OrtRuntime,
  ) {}

  static async create(model: Uint8Array, options: SessionOptions = {}): Promise<OnnxSession> {
    const runtime = options.runtime ?? loadOrtRuntime('wasm');
    const session = await exclusive(() =>
      runtime.InferenceSession.create(model, {
        executionProviders: [...runtime.executionProviders],
        graphOptimizationLevel: options.graphOptimizationLevel ?? 'basic',
        ...(options.intraOpNumThreads === undefined ? {} : { intraOpNumThreads: options.intraOpNumThreads }),
      }),
    );
    live++;
    return new OnnxSession(session, runtime);
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  async run(feeds: Feeds, fetch: readonly string[] = this.session.outputNames): Promise<Fetched> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new this.runtime.Tensor('float32', t.data, t.dims);
    return exclusive(async () => {
      const results = await this.session.run(ortFeeds, fetch);
      const out: Fetched = {};
      for (const name of fetch) {
        const t = results[name]!;
        // onnxruntime-web and -node both copy each CPU output into a fresh typed array of its own, so it is used as
        // it is (no second copy); dispose() only drops the tensor's reference to it.
        out[name] = { dims: [...t.dims], data: t.data as Float32Array };
        t.dispose();
      }
      return out;
    });
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    live--;
    await exclusive(() => this.session.release());
  }
}

/**
 * Sessions keyed by what shapes them (purpose, loss, batch, T): built once on first use, released together.
 * At most `capacity` are kept; the least recently used one is released when a new shape needs room, so a model fed
 * ever-changing sequence lengths does not grow without bound. Callers must not run a session concurrently with
 * `get` (the model serializes its calls), since `get` may release an idle session.
 */
export class SessionCache {
  private readonly sessions = new Map<string, Promise<OnnxSession>>();

  constructor(private readonly capacity = 16) {}

  get size(): number {
    return this.sessions.size;
  }

  async get(key: string, build: () => Uint8Array, options?: SessionOptions): Promise<OnnxSession> {
    let s = this.sessions.get(key);
    if (s) {
      this.sessions.delete(key);
      this.sessions.set(key, s);
      return s;
    }
    if (this.sessions.size >= this.capacity) {
      const [oldestKey, oldest] = this.sessions.entries().next().value!;
      this.sessions.delete(oldestKey);
      await (await oldest.catch(() => undefined))?.release();
    }
    s = OnnxSession.create(build(), options);
    this.sessions.set(key, s);
    s.catch(() => this.sessions.delete(key));
    return s;
  }

  async releaseAll(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map(async (s) => (await s.catch(() => undefined))?.release()));
  }
}
