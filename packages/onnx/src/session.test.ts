import { describe, expect, it } from 'vitest';
import { Graph } from './graph.js';
import { loadOrtRuntime } from './device.js';
import { liveSessionCount, SessionCache } from './session.js';

function tiny(n: number): Uint8Array {
  const g = new Graph('tiny');
  g.output(g.rename(g.op1('Neg', [g.input('x', [n])]), 'y'));
  return g.toModel();
}

describe('SessionCache', () => {
  it('builds a session once per key and releases every session it holds', async () => {
    const base = liveSessionCount();
    const cache = new SessionCache();
    let builds = 0;
    const build = (): Uint8Array => (builds++, tiny(2));
    const [a, b] = await Promise.all([cache.get('k', build), cache.get('k', build)]);
    expect(a).toBe(b);
    expect(builds).toBe(1);
    const out = await a.run({ x: { dims: [2], data: Float32Array.from([1, -2]) } });
    expect(Array.from(out.y!.data)).toEqual([-1, 2]);
    expect(liveSessionCount()).toBe(base + 1);
    await cache.releaseAll();
    expect(liveSessionCount()).toBe(base);
    expect(cache.size).toBe(0);
  });

  it.each(['wasm', 'node'] as const)('on %s, each run hands back outputs of its own (used without a second copy, never overwritten by a later run)', async (device) => {
    const cache = new SessionCache();
    const session = await cache.get('k', () => tiny(2), { runtime: loadOrtRuntime(device) });
    const first = (await session.run({ x: { dims: [2], data: Float32Array.from([1, -2]) } })).y!.data;
    const second = (await session.run({ x: { dims: [2], data: Float32Array.from([3, 4]) } })).y!.data;
    expect(second.buffer).not.toBe(first.buffer);
    expect([Array.from(first), Array.from(second)]).toEqual([[-1, 2], [-3, -4]]);
    await cache.releaseAll();
  });

  it('keeps at most its capacity, releasing the least recently used session', async () => {
    const base = liveSessionCount();
    const cache = new SessionCache(2);
    const first = await cache.get('a', () => tiny(1));
    await cache.get('b', () => tiny(2));
    expect(await cache.get('a', () => tiny(1))).toBe(first); // 'a' is now the most recently used
    await cache.get('c', () => tiny(3)); // evicts 'b'
    expect(cache.size).toBe(2);
    expect(liveSessionCount()).toBe(base + 2);
    expect(await cache.get('a', () => tiny(1))).toBe(first);
    await cache.releaseAll();
    expect(liveSessionCount()).toBe(base);
  });
});
