import { afterEach, describe, expect, it } from 'vitest';
import { CHECKPOINT_FORMAT, parseCheckpoint } from './checkpoint-io.js';
import { GradscopeError } from './errors.js';
import { initParams } from './init.js';
import { loadParams } from './params-io.js';
import { serializeSafetensors, type SafetensorsTensor } from './safetensors.js';
import { parseSpec } from './spec.js';
import { parseTrainingConfig } from './training.js';

// Tensor names come from files someone else wrote: none may reach Object.prototype or Object (issue #19, item 1).
const spec = parseSpec({ kind: 'recurrent', cell: 'gru', inputSize: 2, hiddenSize: 3, outputSize: 1 });
const config = parseTrainingConfig({ optimizer: { type: 'adam', lr: 0.01 } });
const params = initParams(spec, { seed: 0 });
const metadata = { format: CHECKPOINT_FORMAT, spec: JSON.stringify(spec), training_config: JSON.stringify(config), step: '1', optimizer_step: '1' };
const hostile = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '__defineGetter__', 'valueOf'];

const protoKeys = (): string[] => Object.getOwnPropertyNames(Object.prototype).sort();
const objectKeys = (): string[] => Object.getOwnPropertyNames(Object).sort();
const cleanProto = protoKeys();
const cleanObject = objectKeys();

function outcome(read: () => unknown): string {
  try {
    read();
    return 'accepted';
  } catch (e) {
    if (!(e instanceof GradscopeError)) throw e;
    return e.message;
  }
}

function checkpointWith(extra: Record<string, SafetensorsTensor>): Uint8Array {
  const tensors: Record<string, SafetensorsTensor> = Object.create(null);
  for (const [n, t] of Object.entries(params)) tensors[`param/${n}`] = t;
  return serializeSafetensors(Object.assign(tensors, extra), metadata);
}

afterEach(() => {
  // fail loudly, then repair, so one leak cannot make every later test in the process fail for the wrong reason
  const leaked = protoKeys().filter((k) => !cleanProto.includes(k));
  const leakedObject = objectKeys().filter((k) => !cleanObject.includes(k));
  for (const k of leaked) delete (Object.prototype as Record<string, unknown>)[k];
  for (const k of leakedObject) delete (Object as unknown as Record<string, unknown>)[k];
  expect({ leaked, leakedObject }).toEqual({ leaked: [], leakedObject: [] });
});

describe('hostile tensor names never reach Object.prototype', () => {
  it.each(hostile)('checkpoint optimizer slot "optim/%s/fc.weight" is refused by name, nothing polluted', (slot) => {
    const bytes = checkpointWith({ [`optim/${slot}/fc.weight`]: { shape: [1, 3], data: new Float32Array(3) } });
    expect(outcome(() => parseCheckpoint(bytes, 'ck.safetensors'))).toBe(
      `ck.safetensors: tensor "optim/${slot}/fc.weight": unknown optimizer slot "${slot}" (expected one of momentum_buffer|exp_avg|exp_avg_sq)`,
    );
    expect(({} as Record<string, unknown>)['fc.weight']).toBeUndefined();
  });

  it.each(hostile)('checkpoint tensors param/<name> and optim/exp_avg/<name> with name "%s" are named as strangers', (name) => {
    expect(outcome(() => parseCheckpoint(checkpointWith({ [`optim/exp_avg/${name}`]: { shape: [1], data: new Float32Array(1) } }), 'ck'))).toBe(
      `ck: tensor "optim/exp_avg/${name}": the spec has no parameter "${name}"`,
    );
    expect(outcome(() => parseCheckpoint(checkpointWith({ [`param/${name}`]: { shape: [1], data: new Float32Array(1) } }), 'ck'))).toBe(
      `parameters in ck do not match the spec:\n  - unexpected: ${name}`,
    );
  });

  it.each(hostile.filter((n) => n !== '__proto__'))('weights files with a tensor "%s" are refused as unexpected (safetensors and JSON)', (name) => {
    const extra: Record<string, SafetensorsTensor> = Object.assign(Object.create(null), params, { [name]: { shape: [1], data: new Float32Array(1) } });
    expect(outcome(() => loadParams(spec, serializeSafetensors(extra), { format: 'safetensors', source: 'w.safetensors' }))).toBe(
      `parameters in w.safetensors do not match the spec:\n  - unexpected: ${name}`,
    );
    const json = `{${Object.entries(params).map(([n, t]) => `"${n}": {"shape": [${t.shape.join(',')}], "data": [${Array.from(t.data).join(',')}]}`).join(',')}, "${name}": {"shape": [1], "data": [0]}}`;
    expect(outcome(() => loadParams(spec, json, { format: 'json', source: 'w.json' }))).toBe(`parameters in w.json do not match the spec:\n  - unexpected: ${name}`);
  });

  it('a spec still parses after every hostile file above (the symptom users saw)', () => {
    for (const slot of hostile) outcome(() => parseCheckpoint(checkpointWith({ [`optim/${slot}/fc.weight`]: { shape: [1, 3], data: new Float32Array(3) } }), 'ck'));
    expect(parseSpec({ kind: 'residual', inputSize: 2, outputSize: 1, width: 4, depth: 2, block: { layers: 1, activation: 'relu', skip: 'identity' } }).kind).toBe('residual');
  });
});
