import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { estimateModelSize } from './budget.js';
import { parseCheckpoint, serializeCheckpoint } from './checkpoint-io.js';
import { ParamError, SpecError, WeightsFormatError } from './errors.js';
import { initParams } from './init.js';
import { paramCount, paramShapes, validateParams, type ParamSet } from './params.js';
import { parseParamsJson } from './params-json.js';
import { readSafetensorsParams, serializeSafetensors } from './safetensors.js';
import { activations, cellTypes, parseModelSpec, type ModelSpec } from './spec.js';
import { parseTrainingConfig } from './training.js';

// Properties over hostile documents: each is refused with an error of its own class naming the file or the JSON path,
// or accepted with finite values. Anything else (a TypeError or RangeError from deep inside, a slow case) fails.
const SEED = 19;
/** Longest a single case may take; parsing is synchronous, so it is measured rather than interrupted. */
const CASE_MS = 2000;

const HOSTILE_NAMES = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '', 'x'.repeat(10_000), 'stem.weight', '__proto__.weight', 'optim/__proto__/stem.weight'];
const hostileName = fc.oneof(fc.constantFrom(...HOSTILE_NAMES), fc.string({ maxLength: 12 }));

const hostileValue = fc.oneof(
  fc.integer({ min: -3, max: 70_000 }),
  fc.constantFrom(0, -1, 1.5, 65_536, 65_537, 1e308, 2 ** 53, 1024, 1025),
  fc.string({ maxLength: 6 }),
  fc.constant(null),
  fc.boolean(),
  fc.array(fc.integer({ min: -1, max: 8 }), { maxLength: 3 }),
  fc.dictionary(hostileName, fc.integer(), { maxKeys: 2 }),
);
/** Mostly a valid value, sometimes a hostile one, sometimes left out. */
const field = <T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 14, arbitrary: valid }, { weight: 1, arbitrary: hostileValue }, { weight: 1, arbitrary: fc.constant(undefined) });
const size = (max: number) => fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 1, max: 8 }) }, { weight: 1, arbitrary: fc.integer({ min: 1, max }) });

const denseSpec = fc.record({
  kind: field(fc.constant('residual')),
  variant: fc.option(field(fc.constant('dense')), { nil: undefined }),
  inputSize: field(size(65_536)),
  outputSize: field(size(65_536)),
  width: field(size(65_536)),
  depth: field(fc.oneof(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 1024 }))),
  block: field(fc.record({ layers: field(size(64)), activation: field(fc.constantFrom(...activations, 'rleu')), skip: field(fc.constantFrom('identity', 'none', 'skip')) })),
});
const recurrentSpec = fc.record({
  kind: field(fc.constant('recurrent')),
  cell: field(fc.constantFrom(...cellTypes, 'lstn')),
  inputSize: field(size(65_536)),
  hiddenSize: field(size(65_536)),
  numLayers: field(size(64)),
  outputSize: field(size(65_536)),
});
const convSpec = fc.record({
  kind: field(fc.constant('residual')),
  variant: fc.constant('conv'),
  preset: fc.option(field(fc.constantFrom('resnet20', 'resnet18', 'resnet99')), { nil: undefined }),
  inputChannels: field(size(65_536)),
  inputSize: field(fc.oneof(size(65_536), fc.tuple(size(65_536), size(64)))),
  outputSize: field(size(1000)),
  stem: field(fc.constantFrom('cifar', 'imagenet', 'tiny')),
  stages: field(fc.array(fc.record({ blocks: field(size(256)), channels: field(size(65_536)), stride: field(fc.integer({ min: 1, max: 8 })) }), { minLength: 0, maxLength: 17 })),
  shortcut: field(fc.constantFrom('projection', 'zeropad')),
  skip: field(fc.constantFrom('identity', 'none')),
  norm: field(fc.constantFrom('batch', 'none')),
});

/** JSON text as a file holds it: undefined fields dropped, sometimes with an extra member under a hostile key. */
const specText = fc
  .tuple(fc.oneof(denseSpec, recurrentSpec, convSpec), fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.tuple(hostileName, hostileValue) }))
  .map(([spec, extra]) => {
    const body = JSON.stringify(spec);
    return extra ? `{${JSON.stringify(extra[0])}:${JSON.stringify(extra[1])}${body === '{}' ? '' : `,${body.slice(1, -1)}`}}` : body;
  });

function expectNamedIssues(e: unknown): void {
  expect(e).toBeInstanceOf(SpecError);
  const err = e as SpecError;
  expect(err.issues.length).toBeGreaterThan(0);
  for (const issue of err.issues) {
    expect(typeof issue.path).toBe('string');
    expect(issue.message.length).toBeGreaterThan(0);
    expect(err.message).toContain(`- ${issue.path || '(root)'}: `);
  }
}

function expectUnpolluted(): void {
  expect(Object.keys(Object.prototype)).toEqual([]);
  expect(({} as Record<string, unknown>)['stem.weight']).toBeUndefined();
}

function timed(run: () => void): void {
  const start = performance.now();
  run();
  expect(performance.now() - start).toBeLessThan(CASE_MS);
}

describe('fuzz: specs of every family', () => {
  it('400 random spec files: a SpecError naming each path, or a spec within the budget whose weights are finite', () => {
    let accepted = 0;
    fc.assert(
      fc.property(specText, (text) => {
        timed(() => {
          let spec: ModelSpec;
          try {
            spec = parseModelSpec(JSON.parse(text));
          } catch (e) {
            expectNamedIssues(e);
            return;
          }
          accepted++;
          const estimate = estimateModelSize(spec);
          expect(estimate.parameters).toBe(paramCount(spec));
          expect(estimate.parameters).toBeLessThanOrEqual(50_000_000);
          if (estimate.parameters <= 20_000) {
            const params = initParams(spec, { seed: 0 });
            expect(Object.keys(params)).toEqual(paramShapes(spec).map((p) => p.name));
            for (const t of Object.values(params)) expect(t.data.every(Number.isFinite)).toBe(true);
          }
        });
        expectUnpolluted();
      }),
      { seed: SEED, numRuns: 400 },
    );
    expect(accepted).toBeGreaterThan(30); // the generator reaches valid specs, not only refusals
  });

  it('300 arbitrary JSON values as specs and as training configs: SpecError, never another exception', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (json) => {
        timed(() => {
          for (const parse of [() => parseModelSpec(json), () => parseTrainingConfig(json)]) {
            try {
              parse();
            } catch (e) {
              expectNamedIssues(e);
            }
          }
        });
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});

/** A one-value F32 safetensors file per name, the header written as text so any name reaches the reader. */
function safetensorsOf(names: readonly string[]): Uint8Array {
  const members = names.map((n, i) => `${JSON.stringify(n)}:{"dtype":"F32","shape":[1],"data_offsets":[${4 * i},${4 * i + 4}]}`);
  const header = new TextEncoder().encode(`{${members.join(',')}}`);
  const out = new Uint8Array(8 + header.length + 4 * names.length);
  new DataView(out.buffer).setUint32(0, header.length, true);
  out.set(header, 8);
  return out;
}

const SPEC = parseModelSpec({ kind: 'residual', inputSize: 2, outputSize: 2, width: 3, depth: 1 });

const number = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }), fc.constantFrom(1e39, -1e39, 3.4e38, 1e-46, 0));
const tensorJson = fc.record(
  {
    shape: fc.oneof(fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }), hostileValue),
    data: fc.oneof(fc.array(number, { maxLength: 12 }), fc.array(fc.oneof(number, fc.string({ maxLength: 2 }), fc.constant(null)), { maxLength: 4 }), hostileValue),
    extra: fc.option(hostileValue, { nil: undefined }),
  },
  { requiredKeys: [] },
);
/** A weights file as text: members under hostile names (JSON.parse makes `__proto__` an own key). */
const weightsText = fc
  .array(fc.tuple(fc.oneof(fc.constantFrom(...paramShapes(SPEC).map((p) => p.name)), hostileName), fc.oneof(tensorJson, hostileValue)), { maxLength: 6 })
  .map((members) => `{${members.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`);

describe('fuzz: JSON weights and tensor names', () => {
  it('400 random JSON weight files: WeightsFormatError starting with the file, ParamError, or finite tensors under exactly the names given', () => {
    fc.assert(
      fc.property(weightsText, (text) => {
        timed(() => {
          let params: ParamSet;
          try {
            params = parseParamsJson(text, 'w.json');
          } catch (e) {
            expect(e).toBeInstanceOf(WeightsFormatError);
            expect((e as Error).message).toMatch(/^w\.json: /);
            return;
          }
          expect(new Set(Object.keys(params))).toEqual(new Set(Object.keys(JSON.parse(text) as object)));
          for (const t of Object.values(params)) expect(t.data.every(Number.isFinite)).toBe(true);
          try {
            validateParams(SPEC, params, 'parameters in w.json');
          } catch (e) {
            expect(e).toBeInstanceOf(ParamError);
            expect((e as Error).message).toMatch(/^parameters in w\.json do not match the spec:/);
          }
        });
        expectUnpolluted();
      }),
      { seed: SEED, numRuns: 400 },
    );
  });

  it('200 safetensors files with hostile tensor names: WeightsFormatError for "__proto__", the very names otherwise', () => {
    fc.assert(
      fc.property(fc.uniqueArray(hostileName, { maxLength: 4 }), (names) => {
        timed(() => {
          try {
            const { params } = readSafetensorsParams(safetensorsOf(names), 'w.safetensors');
            // as sets: a plain object lists index-like names ("0") first, whatever the file order
            expect(new Set(Object.keys(params))).toEqual(new Set(names));
          } catch (e) {
            expect(e).toBeInstanceOf(WeightsFormatError);
            expect((e as Error).message).toMatch(/^w\.safetensors: .*"__proto__"/);
            expect(names).toContain('__proto__');
          }
        });
        expectUnpolluted();
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  // Found by the property above when it still used the writer: `header[name] = ...` on a plain object sets the
  // header's prototype for "__proto__", so the tensor vanishes from the header while its bytes are still written (a
  // corrupt file, no error). The header is a null-prototype object now.
  it('serializeSafetensors refuses a tensor named "__proto__" or writes it readably', () => {
    const tensors = Object.create(null) as ParamSet;
    tensors['__proto__'] = { shape: [1], data: Float32Array.of(1) };
    let bytes: Uint8Array;
    try {
      bytes = serializeSafetensors(tensors);
    } catch (e) {
      expect(e).toBeInstanceOf(WeightsFormatError);
      return;
    }
    expect(() => readSafetensorsParams(bytes, 'w.safetensors')).toThrow(/"__proto__"/);
  });

  // a checkpoint's optimizer slot named "__proto__" used to be written into a plain object (issue #19 item 1)
  it('100 checkpoints with hostile optimizer slot names: refused or read back, never touching Object.prototype', () => {
    const params = initParams(SPEC, { seed: 0 });
    const config = parseTrainingConfig({ optimizer: { type: 'adam', lr: 1e-3 } });
    fc.assert(
      fc.property(fc.constantFrom(...HOSTILE_NAMES.filter((n) => !n.includes('/'))), (slot) => {
        const slots = Object.create(null) as Record<string, Record<string, Float32Array>>;
        slots[slot] = { 'stem.weight': new Float32Array(6) };
        const bytes = serializeCheckpoint({ spec: SPEC, params, config, state: { step: 1, optimizer: { step: 1, slots } } });
        const builtins = [Object.prototype, Object, Function.prototype] as Record<string, unknown>[];
        let read: string[] | undefined;
        try {
          read = Object.keys(parseCheckpoint(bytes, 'c.safetensors').state.optimizer.slots);
        } catch (e) {
          expect(e).toBeInstanceOf(WeightsFormatError);
        }
        const polluted = builtins.filter((b) => Object.hasOwn(b, 'stem.weight'));
        for (const b of polluted) delete b['stem.weight']; // clean up before failing, so later tests run on clean builtins
        expect(polluted).toEqual([]);
        if (read) expect(read).toEqual([slot]);
      }),
      { seed: SEED, numRuns: 100 },
    );
  });
});
