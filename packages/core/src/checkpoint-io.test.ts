import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Checkpoint } from './checkpoint.js';
import { CHECKPOINT_FORMAT, parseCheckpoint, serializeCheckpoint } from './checkpoint-io.js';
import { GradscopeError, ParamError, SpecError, WeightsFormatError } from './errors.js';
import { initParams } from './init.js';
import { applyOptimizer, createOptimizerState, type OptimizerState } from './optim.js';
import { cloneParams, type ParamSet } from './params.js';
import { createRng } from './random.js';
import { batchNormNames } from './conv-params.js';
import type { ConvResidualSpec } from './conv-spec.js';
import { decodeFloat32, parseSafetensors, serializeSafetensors, type SafetensorsTensor } from './safetensors.js';
import { parseModelSpec, parseSpec } from './spec.js';
import { parseTrainingConfig } from './training.js';

const spec = parseSpec({ kind: 'recurrent', cell: 'gru', inputSize: 2, hiddenSize: 3, outputSize: 1 });
const config = parseTrainingConfig({ optimizer: { type: 'adam', lr: 0.01 }, schedule: { type: 'cosine', tMax: 10 }, clip: { type: 'norm', maxNorm: 1 } });

/** Deterministic pseudo-gradients for step t, so two runs see the same gradient sequence. */
function gradsAt(params: ParamSet, t: number): Record<string, Float32Array> {
  const rng = createRng(t);
  return Object.fromEntries(Object.entries(params).map(([n, p]) => [n, p.data.map(() => rng.normal())]));
}

function step(params: ParamSet, state: OptimizerState): void {
  const data = Object.fromEntries(Object.entries(params).map(([n, p]) => [n, p.data]));
  applyOptimizer(config.optimizer, state, data, gradsAt(params, state.step), 0.01);
}

function errorOf(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('serializeCheckpoint / parseCheckpoint', () => {
  it('round-trips params, F32 and F64 optimizer slots, config and steps exactly', () => {
    const params = initParams(spec, { seed: 3 });
    const f64 = Float64Array.from(params['fc.weight']!.data, (v) => v / 3);
    const f32 = Float32Array.from(params['gru.bias_hh_l0']!.data, (v) => v * 7);
    const checkpoint: Checkpoint = {
      spec, params, config,
      state: { step: 17, optimizer: { step: 16, slots: { exp_avg: { 'fc.weight': f64 }, exp_avg_sq: { 'gru.bias_hh_l0': f32 } } } },
    };
    const back = parseCheckpoint(serializeCheckpoint(checkpoint), 'ck.safetensors');
    expect(back).toEqual(checkpoint);
    expect(back.state.optimizer.slots['exp_avg']!['fc.weight']).toBeInstanceOf(Float64Array);
    expect(back.state.optimizer.slots['exp_avg']!['fc.weight']![1]).toBe(f64[1]); // not rounded through float32
    expect(back.state.optimizer.slots['exp_avg_sq']!['gru.bias_hh_l0']).toBeInstanceOf(Float32Array);
    expect(Object.keys(back.params)).toEqual(Object.keys(params));
  });

  it('resumes an Adam run from the file exactly as if it had not stopped', () => {
    const uninterrupted = initParams(spec, { seed: 4 });
    const stateA = createOptimizerState();
    for (let i = 0; i < 6; i++) step(uninterrupted, stateA);

    const first = initParams(spec, { seed: 4 });
    const stateB = createOptimizerState();
    for (let i = 0; i < 3; i++) step(first, stateB);
    const bytes = serializeCheckpoint({ spec, params: cloneParams(first), config, state: { step: 3, optimizer: stateB } });
    const resumed = parseCheckpoint(bytes);
    const params = cloneParams(resumed.params);
    const state = resumed.state.optimizer;
    for (let i = 0; i < 3; i++) step(params, state);

    expect(state.step).toBe(6);
    expect(params).toEqual(uninterrupted);
    expect(params['gru.weight_hh_l0']!.data).not.toEqual(initParams(spec, { seed: 4 })['gru.weight_hh_l0']!.data);
  });

  it('stores what a PyTorch user can read: prefixed tensor names and string metadata', () => {
    const params = initParams(spec, { seed: 0 });
    const bytes = serializeCheckpoint({ spec, params, config, state: { step: 2, optimizer: { step: 2, slots: {} } } });
    const n = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, unknown>;
    expect(Object.keys(header)).toEqual(['__metadata__', ...Object.keys(params).map((k) => `param/${k}`)]);
    expect(header['__metadata__']).toEqual({
      format: CHECKPOINT_FORMAT, spec: JSON.stringify(spec), training_config: JSON.stringify(config), step: '2', optimizer_step: '2',
    });
  });

  describe('a conv spec', () => {
    const conv = parseModelSpec({ kind: 'residual', variant: 'conv', inputChannels: 1, inputSize: 8, outputSize: 3, stem: 'cifar', stages: [{ blocks: 1, channels: 2 }, { blocks: 1, channels: 4, stride: 2 }] }) as ConvResidualSpec;
    const convParams = (): ParamSet => {
      const p = initParams(conv, { seed: 5 });
      p['layer1.0.bn1.running_mean']!.data.set([0.25, -0.5]);
      p['layer1.0.bn1.running_var']!.data.set([1.5, 0.75]);
      return p;
    };
    const state = { step: 3, optimizer: { step: 3, slots: { momentum_buffer: { 'fc.bias': Float32Array.of(0.1, 0.2, 0.3) } } }, batchesTracked: 3 };
    const headerOf = (bytes: Uint8Array): Record<string, { dtype: string; shape: number[] }> => {
      const n = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
      return JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { dtype: string; shape: number[] }>;
    };

    it('round-trips running statistics and num_batches_tracked, stored as the torch state_dict stores them', () => {
      const checkpoint: Checkpoint = { spec: conv, params: convParams(), config, state };
      const bytes = serializeCheckpoint(checkpoint);
      const back = parseCheckpoint(bytes, 'conv.safetensors');
      expect(back).toEqual(checkpoint);
      expect(back.params['layer1.0.bn1.running_var']!.data).toEqual(Float32Array.of(1.5, 0.75));
      const header = headerOf(bytes);
      const tracked = batchNormNames(conv).map((bn) => `param/${bn}.num_batches_tracked`);
      expect(tracked).toContain('param/layer2.0.downsample.1.num_batches_tracked');
      for (const name of tracked) expect(header[name]).toMatchObject({ dtype: 'I64', shape: [] });
      expect(header['param/bn1.running_mean']).toMatchObject({ dtype: 'F32', shape: [2] });
    });

    it('a missing, non-integer or disagreeing num_batches_tracked is named', () => {
      const bytes = serializeCheckpoint({ spec: conv, params: convParams(), config, state });
      const file = parseSafetensors(bytes, 'x');
      const rewrite = (edit: (name: string) => SafetensorsTensor | undefined): Uint8Array => {
        const tensors: Record<string, SafetensorsTensor> = {};
        for (const e of file.entries) {
          const replaced = edit(e.name);
          if (replaced) tensors[e.name] = replaced;
          else if (e.dtype === 'I64') continue;
          else tensors[e.name] = { shape: e.shape, data: decodeFloat32(e) };
        }
        return serializeSafetensors(tensors, file.metadata);
      };
      const count = (v: number) => (name: string) => (name.endsWith('num_batches_tracked') ? { shape: [], data: BigInt64Array.of(name === 'param/layer1.0.bn2.num_batches_tracked' ? BigInt(v) : 3n) } : undefined);
      expect(errorOf(() => parseCheckpoint(rewrite(() => undefined), 'ck')).message).toBe(
        `ck: missing ${batchNormNames(conv).map((bn) => `"param/${bn}.num_batches_tracked"`).join(', ')} (I64 scalars)`,
      );
      expect(errorOf(() => parseCheckpoint(rewrite(count(4)), 'ck')).message).toBe(
        'ck: num_batches_tracked differs between BatchNorm layers (bn1: 3, layer1.0.bn2: 4); a gradscope model keeps one count for all of them',
      );
      const asFloat = (name: string) => (name === 'param/bn1.num_batches_tracked' ? { shape: [], data: Float32Array.of(3) } : undefined);
      const e = errorOf(() => parseCheckpoint(rewrite((n) => asFloat(n) ?? count(3)(n)), 'ck'));
      expect(e).toBeInstanceOf(WeightsFormatError);
      expect(e.message).toBe('ck: tensor "param/bn1.num_batches_tracked": expected an I64 scalar, got F32 []');
    });

    it('a dense spec has no num_batches_tracked to carry', () => {
      const params = initParams(spec, { seed: 0 });
      const bytes = serializeSafetensors(
        { ...Object.fromEntries(Object.entries(params).map(([n, t]) => [`param/${n}`, t])), 'param/bn1.num_batches_tracked': { shape: [], data: BigInt64Array.of(1n) } },
        { format: CHECKPOINT_FORMAT, spec: JSON.stringify(spec), training_config: JSON.stringify(config), step: '0', optimizer_step: '0' },
      );
      expect(errorOf(() => parseCheckpoint(bytes, 'ck')).message).toBe('ck: the spec has no BatchNorm layer for "param/bn1.num_batches_tracked"');
      expect(parseCheckpoint(serializeCheckpoint({ spec, params, config, state: { step: 0, optimizer: { step: 0, slots: {} } } })).state).not.toHaveProperty('batchesTracked');
    });
  });

  describe('errors name the checkpoint and the problem', () => {
    const params = initParams(spec, { seed: 0 });
    const metadata = { format: CHECKPOINT_FORMAT, spec: JSON.stringify(spec), training_config: JSON.stringify(config), step: '1', optimizer_step: '1' };
    const tensors = Object.fromEntries(Object.entries(params).map(([n, t]) => [`param/${n}`, t]));
    const file = (meta: Record<string, string>, extra: Record<string, { shape: number[]; data: Float32Array | Float64Array }> = {}) =>
      serializeSafetensors({ ...tensors, ...extra }, meta);

    it('a plain weights file is not a checkpoint', () => {
      const e = errorOf(() => parseCheckpoint(serializeSafetensors(params), 'w.safetensors'));
      expect(e).toBeInstanceOf(WeightsFormatError);
      expect(e.message).toBe(`w.safetensors: not a gradscope checkpoint: it has no __metadata__.format, expected "${CHECKPOINT_FORMAT}"`);
    });

    it('an invalid spec is a SpecError that says where it came from', () => {
      const e = errorOf(() => parseCheckpoint(file({ ...metadata, spec: JSON.stringify({ ...spec, cell: 'lsmt' }) }), 'ck.safetensors'));
      expect(e).toBeInstanceOf(SpecError);
      expect(e.message).toBe('invalid spec in ck.safetensors: 1 problem\n  - cell: expected one of lstm|gru|rnn, got "lsmt"');
    });

    it('an invalid training config is a SpecError too', () => {
      const e = errorOf(() => parseCheckpoint(file({ ...metadata, training_config: '{"optimizer": {"type": "adam"}}' }), 'ck.safetensors'));
      expect(e).toBeInstanceOf(SpecError);
      expect(e.message).toBe('invalid training config in ck.safetensors: 1 problem\n  - optimizer.lr: required number is missing');
    });

    it('a deeply nested spec is described, not a stack overflow', () => {
      const deep = `{"kind": "residual", "inputSize": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
      const e = errorOf(() => parseCheckpoint(file({ ...metadata, spec: deep }), 'ck'));
      expect(e).toBeInstanceOf(SpecError);
      expect(e.message).toContain('  - inputSize: expected number, got [[[[...]]]]');
    });

    it('never throws anything but a gradscope error on mutated metadata (fuzz)', () => {
      const keys = ['format', 'spec', 'training_config', 'step', 'optimizer_step'] as const;
      const mutation = fc.record({
        key: fc.constantFrom(...keys),
        value: fc.oneof(fc.json({ maxDepth: 3 }), fc.string(), fc.constantFrom('{"kind": "recurrent"}', '1.5', '9007199254740993', '')),
        drop: fc.boolean(),
      });
      fc.assert(
        fc.property(mutation, ({ key, value, drop }) => {
          const meta: Record<string, string> = { ...metadata, [key]: value };
          if (drop) delete meta[key];
          try {
            parseCheckpoint(file(meta), 'ck');
          } catch (e) {
            if (!(e instanceof GradscopeError)) throw e;
          }
        }),
        { seed: 7, numRuns: 500 },
      );
    });

    it('broken metadata, stray tensors and slots that fit no parameter', () => {
      const cases: [Uint8Array, string][] = [
        [file({ ...metadata, spec: '{"kind": ' }), 'ck: __metadata__.spec is not valid JSON ('],
        [file({ ...metadata, step: '-1' }), 'ck: __metadata__.step must be a non-negative integer, got "-1"'],
        [file({ format: CHECKPOINT_FORMAT, spec: metadata.spec, training_config: metadata.training_config, step: '1' }), 'ck: __metadata__.optimizer_step is missing'],
        [file(metadata, { 'stem.weight': { shape: [1], data: new Float32Array(1) } }), 'ck: unexpected tensor "stem.weight" (a checkpoint holds param/<name> and optim/<slot>/<name>)'],
        [file(metadata, { 'optim/exp_avg/head.weight': { shape: [1], data: new Float32Array(1) } }), 'ck: tensor "optim/exp_avg/head.weight": the spec has no parameter "head.weight"'],
        [file(metadata, { 'optim/exp_avg/fc.bias': { shape: [2], data: new Float64Array(2) } }), 'ck: tensor "optim/exp_avg/fc.bias": shape [2] does not fit parameter "fc.bias" [1]'],
      ];
      for (const [bytes, message] of cases) {
        const e = errorOf(() => parseCheckpoint(bytes, 'ck'));
        expect(e, message).toBeInstanceOf(WeightsFormatError);
        expect(e.message.startsWith(message), `${e.message}\n  should start with\n${message}`).toBe(true);
      }
    });

    it('parameters that do not fit the spec are one ParamError', () => {
      const { ['param/fc.bias']: _dropped, ...rest } = tensors;
      const e = errorOf(() => parseCheckpoint(serializeSafetensors(rest, metadata), 'ck'));
      expect(e).toBeInstanceOf(ParamError);
      expect(e.message).toBe('parameters in ck do not match the spec:\n  - missing: fc.bias');
    });

    it('refuses to write a slot that fits no parameter', () => {
      const bad: Checkpoint = { spec, params, config, state: { step: 1, optimizer: { step: 1, slots: { momentum_buffer: { 'fc.bias': new Float32Array(5) } } } } };
      expect(() => serializeCheckpoint(bad)).toThrow(new WeightsFormatError('optimizer slot momentum_buffer of "fc.bias" has 5 values, but the parameter has 1'));
    });
  });
});
