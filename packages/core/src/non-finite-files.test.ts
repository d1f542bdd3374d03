import { describe, expect, it } from 'vitest';
import { CHECKPOINT_FORMAT, parseCheckpoint } from './checkpoint-io.js';
import { WeightsFormatError } from './errors.js';
import { initParams } from './init.js';
import { loadParams } from './params-io.js';
import { serializeSafetensors, type SafetensorsTensor } from './safetensors.js';
import { parseSpec } from './spec.js';
import { parseTrainingConfig } from './training.js';

// Issue #19 item 9: non-finite weights are refused from safetensors as they already were from JSON, checkpoints too.
const spec = parseSpec({ kind: 'recurrent', cell: 'gru', inputSize: 2, hiddenSize: 3, outputSize: 1 });
const params = initParams(spec, { seed: 0 });
const config = parseTrainingConfig({ optimizer: { type: 'adam', lr: 0.01 } });
const metadata = { format: CHECKPOINT_FORMAT, spec: JSON.stringify(spec), training_config: JSON.stringify(config), step: '1', optimizer_step: '1' };

function refusal(read: () => unknown): string {
  try {
    read();
  } catch (e) {
    expect(e).toBeInstanceOf(WeightsFormatError);
    return (e as Error).message;
  }
  return 'accepted';
}

function withFcWeight(data: Float32Array | Float64Array): Record<string, SafetensorsTensor> {
  return { ...params, 'fc.weight': { shape: [1, 3], data } };
}

describe('non-finite values in weight files and checkpoints', () => {
  it.each([
    ['NaN (F32)', Float32Array.of(0.5, NaN, NaN), 'w.safetensors: tensor "fc.weight"[1]: NaN is not a finite float32 value (2 non-finite values in all)'],
    ['-Infinity (F32)', Float32Array.of(-Infinity, 0, 1), 'w.safetensors: tensor "fc.weight"[0]: -Infinity is not a finite float32 value'],
    ['an F64 value that overflows float32', Float64Array.of(0, 0, 1e300), 'w.safetensors: tensor "fc.weight"[2]: Infinity is not a finite float32 value'],
  ])('safetensors weights with %s are refused, naming the file, tensor and index', (_, data, message) => {
    expect(refusal(() => loadParams(spec, serializeSafetensors(withFcWeight(data)), { format: 'safetensors', source: 'w.safetensors' }))).toBe(message);
  });

  it('JSON weights with the same value were already refused: both formats now agree', () => {
    const json = `{${Object.entries(params).map(([n, t]) => `"${n}": {"shape": [${t.shape.join(',')}], "data": [${Array.from(t.data, (v, i) => (n === 'fc.weight' && i === 2 ? '1e300' : v)).join(',')}]}`).join(',')}}`;
    expect(refusal(() => loadParams(spec, json, { format: 'json', source: 'w.json' }))).toContain('fc.weight.data[2]: 1e+300 is not a finite float32 value');
  });

  it('a resume checkpoint holding NaN weights or an infinite optimizer value is detected on load', () => {
    const tensors = (extra: Record<string, SafetensorsTensor>): Uint8Array => {
      const all: Record<string, SafetensorsTensor> = {};
      for (const [n, t] of Object.entries(params)) all[`param/${n}`] = t;
      return serializeSafetensors({ ...all, ...extra }, metadata);
    };
    expect(refusal(() => parseCheckpoint(tensors({ 'param/fc.bias': { shape: [1], data: Float32Array.of(NaN) } }), 'ck.safetensors'))).toBe(
      'ck.safetensors: tensor "param/fc.bias"[0]: NaN is not a finite float32 value',
    );
    expect(refusal(() => parseCheckpoint(tensors({ 'optim/exp_avg_sq/fc.weight': { shape: [1, 3], data: Float64Array.of(1, Infinity, 2) } }), 'ck.safetensors'))).toBe(
      'ck.safetensors: tensor "optim/exp_avg_sq/fc.weight"[1]: Infinity is not a finite float64 value',
    );
  });
});
