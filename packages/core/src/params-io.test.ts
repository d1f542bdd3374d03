import { describe, expect, it } from 'vitest';
import { ParamError, WeightsFormatError } from './errors.js';
import { initParams } from './init.js';
import { paramShapes, type ParamSet } from './params.js';
import { loadParams, saveParams } from './params-io.js';
import { serializeSafetensors } from './safetensors.js';
import { parseSpec } from './spec.js';

const spec = parseSpec({ kind: 'residual', inputSize: 3, outputSize: 2, width: 4, depth: 2 });
const lstm = parseSpec({ kind: 'recurrent', cell: 'lstm', inputSize: 2, hiddenSize: 3, outputSize: 1 });

describe('loadParams / saveParams', () => {
  for (const format of ['json', 'safetensors'] as const) {
    it(`round-trips ${format} bit-identically and returns state_dict order`, () => {
      const params = initParams(lstm, { seed: 11, scheme: 'orthogonal', forgetBias: 1 });
      // Write in reverse order: loading restores state_dict order.
      const reversed: ParamSet = Object.fromEntries(Object.entries(params).reverse());
      const loaded = loadParams(lstm, saveParams(reversed, format), { format });
      expect(Object.keys(loaded)).toEqual(paramShapes(lstm).map((p) => p.name));
      expect(loaded).toEqual(params);
    });
  }

  it('reads JSON given as UTF-8 bytes', () => {
    const params = initParams(spec, { seed: 1 });
    const bytes = new TextEncoder().encode(saveParams(params, 'json'));
    expect(loadParams(spec, bytes, { format: 'json' })).toEqual(params);
  });

  it('reports every missing, unexpected and wrongly-shaped tensor in one error', () => {
    const params = initParams(spec, { seed: 2 });
    delete params['blocks.1.0.bias'];
    delete params['head.weight'];
    params['blocks.0.0.weight'] = { shape: [4, 3], data: new Float32Array(12) };
    params['extra.weight'] = { shape: [1], data: new Float32Array(1) };
    const bytes = serializeSafetensors(params);
    let error: unknown;
    try {
      loadParams(spec, bytes, { format: 'safetensors', source: 'runs/w.safetensors' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ParamError);
    expect((error as Error).message).toBe([
      'parameters in runs/w.safetensors do not match the spec:',
      '  - missing: blocks.1.0.bias',
      '  - missing: head.weight',
      '  - unexpected: extra.weight',
      '  - blocks.0.0.weight: expected shape [4, 4], got [4, 3]',
    ].join('\n'));
  });

  it('passes format errors through with the source', () => {
    expect(() => loadParams(spec, new Uint8Array(3), { format: 'safetensors', source: 'w.safetensors' })).toThrow(
      new WeightsFormatError('w.safetensors: not a safetensors file: 3 bytes, shorter than the 8-byte header length'),
    );
    expect(() => loadParams(spec, Uint8Array.from([0xff, 0xfe]), { format: 'json', source: 'w.json' })).toThrow(
      'w.json: not valid UTF-8 text, so not a JSON weights file',
    );
    expect(() => loadParams(spec, '{}', { format: 'safetensors' })).toThrow('safetensors parameters: safetensors data must be bytes (Uint8Array), got a string');
    expect(() => loadParams(spec, '{}', { format: 'npz' as never })).toThrow('unknown weights format "npz" (expected one of json|safetensors)');
    expect(() => saveParams({}, 'npz' as never)).toThrow(WeightsFormatError);
  });
});
