import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SpecError } from './errors.js';
import { describeForgetGateInit, initParams, parseForgetGateInit, randomOrthogonal, type InitOptions } from './init.js';
import { paramShapes, type ParamSet } from './params.js';
import { createRng } from './random.js';
import { parseSpec, type NetworkSpec } from './spec.js';

const residual = parseSpec({ kind: 'residual', inputSize: 5, outputSize: 3, width: 64, depth: 3, block: { layers: 2 } });
const lstm = parseSpec({ kind: 'recurrent', cell: 'lstm', inputSize: 3, hiddenSize: 32, numLayers: 2, outputSize: 2 });
const gru = parseSpec({ kind: 'recurrent', cell: 'gru', inputSize: 3, hiddenSize: 7, outputSize: 2 });

function stats(data: ArrayLike<number>): { min: number; max: number; mean: number; std: number } {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < data.length; i++) {
    min = Math.min(min, data[i]!);
    max = Math.max(max, data[i]!);
    sum += data[i]!;
  }
  const mean = sum / data.length;
  let sq = 0;
  for (let i = 0; i < data.length; i++) sq += (data[i]! - mean) ** 2;
  return { min, max, mean, std: Math.sqrt(sq / data.length) };
}

function sha256(params: ParamSet): string {
  const h = createHash('sha256');
  for (const t of Object.values(params)) h.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  return h.digest('hex');
}

/** max |(W Wᵀ - I)_ij| over the n×n block starting at row r0 of a row-major [rows, n] matrix. */
function orthogonalityError(data: ArrayLike<number>, n: number, r0 = 0): number {
  let worst = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let k = 0; k < n; k++) dot += data[(r0 + i) * n + k]! * data[(r0 + j) * n + k]!;
      worst = Math.max(worst, Math.abs(dot - (i === j ? 1 : 0)));
    }
  }
  return worst;
}

describe('initParams', () => {
  it('returns every parameter of the spec in state_dict order with its shape', () => {
    for (const spec of [residual, lstm, gru]) {
      const params = initParams(spec, { seed: 0 });
      expect(Object.entries(params).map(([name, t]) => ({ name, shape: t.shape }))).toEqual(paramShapes(spec));
    }
  });

  it('pytorch: Linear weights and biases are U(-1/sqrt(fan_in), 1/sqrt(fan_in))', () => {
    const params = initParams(residual, { seed: 1 });
    for (const [name, fanIn] of [['stem.weight', 5], ['stem.bias', 5], ['blocks.2.1.weight', 64], ['head.bias', 64]] as const) {
      const bound = 1 / Math.sqrt(fanIn);
      const s = stats(params[name]!.data);
      expect(s.min, name).toBeGreaterThanOrEqual(-bound);
      expect(s.max, name).toBeLessThanOrEqual(bound);
    }
    const s = stats(params['blocks.0.0.weight']!.data); // 4096 values
    expect(s.max).toBeGreaterThan(0.98 / 8);
    expect(Math.abs(s.mean)).toBeLessThan(0.005);
    expect(s.std).toBeCloseTo(1 / 8 / Math.sqrt(3), 2);
  });

  it('pytorch: every LSTM parameter is U(-1/sqrt(hidden), 1/sqrt(hidden)), fc as a Linear', () => {
    const params = initParams(lstm, { seed: 1 });
    const bound = 1 / Math.sqrt(32);
    for (const name of ['lstm.weight_ih_l0', 'lstm.weight_hh_l1', 'lstm.bias_ih_l0', 'lstm.bias_hh_l1', 'fc.weight']) {
      const s = stats(params[name]!.data);
      expect(s.min, name).toBeGreaterThanOrEqual(-bound);
      expect(s.max, name).toBeLessThanOrEqual(bound);
    }
    // weight_ih_l0 has fan_in 3 but uses the hidden size: values reach well past 1/sqrt(32)'s half.
    expect(stats(params['lstm.weight_ih_l0']!.data).max).toBeGreaterThan(0.9 * bound);
    expect(stats(params['lstm.weight_hh_l0']!.data).std).toBeCloseTo(bound / Math.sqrt(3), 2);
  });

  it('xavier: Glorot uniform weights and zero biases', () => {
    const params = initParams(residual, { seed: 2, scheme: 'xavier' });
    const w = stats(params['blocks.1.0.weight']!.data);
    const bound = Math.sqrt(6 / 128);
    expect(w.min).toBeGreaterThanOrEqual(-bound);
    expect(w.max).toBeLessThanOrEqual(bound);
    expect(w.std).toBeCloseTo(bound / Math.sqrt(3), 2);
    const stem = stats(params['stem.weight']!.data);
    expect(stem.max).toBeLessThanOrEqual(Math.sqrt(6 / 69));
    for (const name of ['stem.bias', 'blocks.1.0.bias', 'head.bias']) expect(params[name]!.data.every((v) => v === 0)).toBe(true);
  });

  it('kaiming: He normal weights N(0, sqrt(2/fan_in)) and zero biases', () => {
    const params = initParams(residual, { seed: 3, scheme: 'kaiming' });
    const all = [0, 1, 2].flatMap((i) => [0, 1].flatMap((j) => [...params[`blocks.${i}.${j}.weight`]!.data]));
    const s = stats(all); // 24576 values
    expect(Math.abs(s.mean)).toBeLessThan(0.003);
    expect(s.std).toBeCloseTo(Math.sqrt(2 / 64), 2);
    expect(stats(params['stem.weight']!.data).std).toBeGreaterThan(0.4); // sqrt(2/5) = 0.63
    expect(params['head.bias']!.data.every((v) => v === 0)).toBe(true);
  });

  it('orthogonal: each gate block of weight_hh and each residual block weight is orthogonal', () => {
    const params = initParams(lstm, { seed: 4, scheme: 'orthogonal' });
    const hh = params['lstm.weight_hh_l1']!.data;
    for (let gate = 0; gate < 4; gate++) expect(orthogonalityError(hh, 32, gate * 32)).toBeLessThan(1e-5);
    // The gate blocks are different matrices.
    expect(hh.subarray(0, 32 * 32)).not.toEqual(hh.subarray(32 * 32, 2 * 32 * 32));
    const ih = stats(params['lstm.weight_ih_l1']!.data);
    expect(ih.max).toBeLessThanOrEqual(Math.sqrt(6 / (32 + 128)));
    expect(params['lstm.bias_ih_l0']!.data.every((v) => v === 0)).toBe(true);

    const res = initParams(residual, { seed: 4, scheme: 'orthogonal' });
    expect(orthogonalityError(res['blocks.2.1.weight']!.data, 64)).toBeLessThan(1e-5);
    expect(stats(res['head.weight']!.data).max).toBeLessThanOrEqual(Math.sqrt(6 / 67));
  });

  it('forgetBias sets the forget slice of bias_ih, zeroes that of bias_hh and leaves the rest alone', () => {
    const plain = initParams(lstm, { seed: 5 });
    const params = initParams(lstm, { seed: 5, forgetBias: 1 });
    for (const k of [0, 1]) {
      const ih = params[`lstm.bias_ih_l${k}`]!.data;
      const hh = params[`lstm.bias_hh_l${k}`]!.data;
      expect([...ih.subarray(32, 64)]).toEqual(new Array(32).fill(1));
      expect([...hh.subarray(32, 64)]).toEqual(new Array(32).fill(0));
      expect(ih.subarray(0, 32)).toEqual(plain[`lstm.bias_ih_l${k}`]!.data.subarray(0, 32));
      expect(hh.subarray(64)).toEqual(plain[`lstm.bias_hh_l${k}`]!.data.subarray(64));
    }
    expect(params['lstm.weight_hh_l0']).toEqual(plain['lstm.weight_hh_l0']);
  });

  it('chrono: b_f = log U(1, tMax - 1) per unit in bias_ih, b_i = -b_f, bias_hh input and forget slices zero', () => {
    const plain = initParams(lstm, { seed: 5 });
    const params = initParams(lstm, { seed: 5, forgetGate: { type: 'chrono', tMax: 200 } });
    for (const k of [0, 1]) {
      const ih = params[`lstm.bias_ih_l${k}`]!.data;
      const hh = params[`lstm.bias_hh_l${k}`]!.data;
      const bf = [...ih.subarray(32, 64)];
      for (const b of bf) {
        expect(b).toBeGreaterThanOrEqual(0);
        expect(b).toBeLessThanOrEqual(Math.log(199) + 1e-6);
      }
      // spread over the range, not a constant: log U(1, 199) has mean ~4.3
      expect(Math.max(...bf) - Math.min(...bf)).toBeGreaterThan(1);
      const mean = bf.reduce((a, b) => a + b, 0) / bf.length;
      expect(mean).toBeGreaterThan(3.5);
      expect(mean).toBeLessThan(5);
      expect([...ih.subarray(0, 32)]).toEqual(bf.map((b) => -b));
      expect([...hh.subarray(0, 64)]).toEqual(new Array(64).fill(0));
      // cell and output gates keep PyTorch's default draw
      expect(ih.subarray(64)).toEqual(plain[`lstm.bias_ih_l${k}`]!.data.subarray(64));
      expect(hh.subarray(64)).toEqual(plain[`lstm.bias_hh_l${k}`]!.data.subarray(64));
    }
    expect(params['lstm.bias_ih_l0']!.data.subarray(32, 64)).not.toEqual(params['lstm.bias_ih_l1']!.data.subarray(32, 64));
    expect(params['lstm.weight_ih_l0']).toEqual(plain['lstm.weight_ih_l0']);
    // a constant forgetGate is what forgetBias writes
    expect(initParams(lstm, { seed: 5, forgetGate: { type: 'constant', bias: 1 } })).toEqual(initParams(lstm, { seed: 5, forgetBias: 1 }));
    expect(initParams(lstm, { seed: 5, forgetGate: { type: 'pytorch' } })).toEqual(plain);
  });

  it('parses and describes the CLI spelling of a forget-gate init', () => {
    expect(parseForgetGateInit('pytorch')).toEqual({ type: 'pytorch' });
    expect(parseForgetGateInit('bias:1')).toEqual({ type: 'constant', bias: 1 });
    expect(parseForgetGateInit('chrono:200')).toEqual({ type: 'chrono', tMax: 200 });
    for (const g of ['pytorch', 'bias:-0.5', 'chrono:100']) expect(describeForgetGateInit(parseForgetGateInit(g))).toBe(g);
    expect(() => parseForgetGateInit('chrono:1')).toThrow('forgetGate: expected pytorch, bias:<number> or chrono:<tMax above 2>, got "chrono:1"');
    expect(() => parseForgetGateInit('bias:')).toThrow('forgetGate: expected');
    expect(() => parseForgetGateInit('unit')).toThrow('got "unit"');
  });

  it('normal: weights N(0, std) with the given std, biases zero', () => {
    const params = initParams(residual, { seed: 3, scheme: 'normal' });
    expect(stats(params['blocks.0.0.weight']!.data).std).toBeGreaterThan(0.9);
    expect(stats(params['blocks.0.0.weight']!.data).std).toBeLessThan(1.1);
    expect(params['blocks.0.0.bias']!.data.every((v) => v === 0)).toBe(true);
    const small = initParams(residual, { seed: 3, scheme: 'normal', std: 0.1 });
    expect(stats(small['blocks.0.0.weight']!.data).std).toBeLessThan(0.11);
    expect(() => initParams(residual, { seed: 0, std: 2 })).toThrow('std: applies only to the "normal" scheme, got scheme "pytorch"');
  });

  it('draws each parameter from its own stream: a deeper net keeps the stem and the first blocks', () => {
    const deeper = parseSpec({ kind: 'residual', inputSize: 5, outputSize: 3, width: 64, depth: 5, block: { layers: 2 } });
    const a = initParams(residual, { seed: 6 });
    const b = initParams(deeper, { seed: 6 });
    expect(b['stem.weight']).toEqual(a['stem.weight']);
    expect(b['blocks.2.1.weight']).toEqual(a['blocks.2.1.weight']);
    expect(initParams(residual, { seed: 7 })['stem.weight']).not.toEqual(a['stem.weight']);
  });

  // Pinned once from this implementation; they must never change, on any machine or Node version.
  const pins: [string, NetworkSpec, InitOptions, string][] = [
    ['residual pytorch seed 0', residual, { seed: 0 }, '133451928c540b3a8e4245bc8f086e94cab3c465aa22b3e7224e31c864a0b7db'],
    ['lstm pytorch seed 0', lstm, { seed: 0 }, '0d4b8add5d61516db723d31280204754a235697dcfcd5c181598c5571863b663'],
    ['lstm orthogonal seed 42 forgetBias 1', lstm, { seed: 42, scheme: 'orthogonal', forgetBias: 1 }, '01242aa9da920f277f8735f3f89de0d885dd4dbfc676b5dcabdbb99df3b35b57'],
    ['residual kaiming seed 7', residual, { seed: 7, scheme: 'kaiming' }, '86a118019288d83f47913dad0d494f89365089bf806a6d9ad16adf2a8e9e16ea'],
    ['gru xavier seed -3', gru, { seed: -3, scheme: 'xavier' }, 'bf484d0feb09a8a6857201069824245a64c06f33f850b4372577cceaaa0965bc'],
    ['lstm chrono 200 seed 1', lstm, { seed: 1, forgetGate: { type: 'chrono', tMax: 200 } }, 'abb0c8d408cb4d3f2abe36ac0d991947bb36a639452433de6a42ec758d183dcf'],
  ];
  for (const [title, spec, options, hash] of pins) {
    it(`produces the pinned bytes: ${title}`, () => {
      expect(sha256(initParams(spec, options))).toBe(hash);
    });
  }

  it('rejects an unknown scheme, a bad seed and forgetBias on a non-LSTM network with clear messages', () => {
    expect(() => initParams(residual, { seed: 0, scheme: 'glorot' as never })).toThrow(SpecError);
    expect(() => initParams(residual, { seed: 0, scheme: 'glorot' as never })).toThrow(
      'invalid init options: 1 problem\n  - scheme: expected one of pytorch|xavier|kaiming|orthogonal|normal, got "glorot"',
    );
    expect(() => initParams(residual, { seed: 0.5 })).toThrow('seed: expected a safe integer, got 0.5');
    expect(() => initParams(gru, { seed: 0, forgetBias: 1 })).toThrow('forgetBias: applies only to LSTM cells, but the spec is a GRU network');
    expect(() => initParams(residual, { seed: 0, forgetBias: 1 })).toThrow('forgetBias: applies only to LSTM cells, but the spec is a residual network');
    expect(() => initParams(lstm, { seed: 0, forgetBias: Number.NaN })).toThrow('forgetBias: expected a finite number, got NaN');
    expect(() => initParams(gru, { seed: 0, forgetGate: { type: 'chrono', tMax: 100 } })).toThrow('forgetGate: applies only to LSTM cells, but the spec is a GRU network');
    expect(() => initParams(lstm, { seed: 0, forgetGate: { type: 'chrono', tMax: 2 } })).toThrow('forgetGate.tMax: expected a number above 2');
    expect(() => initParams(lstm, { seed: 0, forgetBias: 1, forgetGate: { type: 'pytorch' } })).toThrow('give either forgetBias or forgetGate, not both');
  });
});

describe('randomOrthogonal', () => {
  it('is orthogonal to float64 precision and not sign-biased on the diagonal', () => {
    const rng = createRng(9);
    const q = randomOrthogonal(16, rng);
    expect(orthogonalityError(q, 16)).toBeLessThan(1e-12);
    let negatives = 0;
    for (let trial = 0; trial < 50; trial++) {
      const m = randomOrthogonal(3, rng);
      if (m[0]! < 0) negatives++;
    }
    expect(negatives).toBeGreaterThan(10);
    expect(negatives).toBeLessThan(40);
  });

  it('handles the 1x1 case as ±1', () => {
    const v = randomOrthogonal(1, createRng(0))[0]!;
    expect(Math.abs(v)).toBe(1);
  });
});
