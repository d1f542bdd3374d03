import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ShapeError } from '@gradscope/core';
import { asCompareResults } from './commands/report.js';
import { InputFileError, parseTensorJson } from './io.js';
import { renderReportHtml } from './reporting/html.js';
import { runInProcess } from './__fixtures__/capture.js';

// Properties over hostile inputs of the CLI: refused with a message naming the file or field, or accepted with
// finite values; never an exception from deep inside, never a hang (each case is timed).
const SEED = 19;
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'gradscope-fuzz-'));

const hostileValue = fc.oneof(
  fc.integer({ min: -3, max: 1000 }),
  fc.constantFrom(0, -1, 1.5, 2 ** 53, 1e308),
  fc.string({ maxLength: 6 }),
  fc.constant(null),
  fc.boolean(),
  fc.array(fc.integer({ min: -1, max: 3 }), { maxLength: 3 }),
  fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'shape', 'data', ''), fc.integer(), { maxKeys: 2 }),
);
const finite = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e30, max: 1e30 });
const nested: fc.Arbitrary<unknown> = fc.letrec<{ node: unknown }>((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, finite, fc.array(tie('node'), { maxLength: 3 }), hostileValue),
})).node;
const tensorJson = fc.oneof(
  nested,
  fc.record({ shape: fc.oneof(fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 4 }), hostileValue), data: fc.oneof(nested, hostileValue) }, { requiredKeys: [] }),
  // deeper than any stack: a hostile file of 40 kB
  fc.integer({ min: 9, max: 20_000 }).map((depth) => JSON.parse(`${'['.repeat(depth)}1${']'.repeat(depth)}`) as unknown),
);

describe('fuzz: input and target tensors', () => {
  it('400 random tensor files: a ShapeError naming the file, or a tensor whose finite values fill its shape', () => {
    fc.assert(
      fc.property(tensorJson, (json) => {
        const start = performance.now();
        try {
          const t = parseTensorJson(json, 'input "x.json"');
          expect(t.data.length).toBe(t.shape.reduce((n, d) => n * d, 1));
          expect(t.data.every(Number.isFinite)).toBe(true);
        } catch (e) {
          expect(e).toBeInstanceOf(ShapeError);
          expect((e as Error).message).toMatch(/^input "x\.json"/);
        }
        expect(performance.now() - start).toBeLessThan(2000);
      }),
      { seed: SEED, numRuns: 400 },
    );
  });

  // JSON.parse reads 1e999 as Infinity; input and target files refuse it (issue #19 item 9)
  it('100 tensor files with 1e999 among finite values: refused naming the value', () => {
    fc.assert(
      fc.property(fc.array(finite, { minLength: 1, maxLength: 6 }), fc.nat(), (values, at) => {
        const text = JSON.stringify(values).replace(/^\[/, '[1e999,');
        const json = JSON.parse(at % 2 ? text : `{"shape":[${values.length + 1}],"data":${text}}`) as unknown;
        expect(() => parseTensorJson(json, 'input "x.json"')).toThrow(ShapeError);
      }),
      { seed: SEED, numRuns: 100 },
    );
  });
});

const results = JSON.parse(readFileSync(join(repo, 'apps', 'compare', 'src', '__fixtures__', 'results-0.1.0-mnist-full.json'), 'utf8')) as unknown;

/** Every JSON path of a document down to `depth`, arrays sampled at their first two entries. */
function pathsOf(value: unknown, depth: number, prefix: (string | number)[] = []): (string | number)[][] {
  if (depth === 0 || typeof value !== 'object' || value === null) return [];
  const keys: (string | number)[] = Array.isArray(value) ? [0, 1].filter((i) => i < value.length) : Object.keys(value);
  return keys.flatMap((k) => [[...prefix, k], ...pathsOf((value as Record<string | number, unknown>)[k], depth - 1, [...prefix, k])]);
}
const resultPaths = pathsOf(results, 4);

/** results.json with one field replaced by a hostile value, or removed. */
const mutatedResults = fc.tuple(fc.constantFrom(...resultPaths), fc.option(hostileValue, { nil: undefined })).map(([path, value]) => {
  const copy = structuredClone(results) as Record<string | number, unknown>;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  if (value === undefined) delete parent[path.at(-1)!];
  else parent[path.at(-1)!] = value;
  return { path: path.join('.'), json: copy as unknown };
});

describe('fuzz: results.json for gradscope report', () => {
  // asCompareResults checks every field the report reads (results-schema.ts); a hostile value anywhere (a string where a
  // run's numbers go, suite settings emptied) is refused by JSON path or rendered, never a TypeError from the renderer
  it('150 mutated results.json files: an InputFileError naming the file and field, or an HTML report', () => {
    fc.assert(
      fc.property(mutatedResults, ({ json }) => {
        try {
          expect(typeof renderReportHtml(asCompareResults(json, 'r.json'))).toBe('string');
        } catch (e) {
          expect(e).toBeInstanceOf(InputFileError);
          expect((e as Error).message).toMatch(/^"r\.json" is not a gradscope compare results\.json: /);
        }
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  it('25 mutated results.json files: refused or rendered, never a RangeError or a hang', () => {
    fc.assert(
      fc.property(mutatedResults, ({ json }) => {
        const start = performance.now();
        try {
          renderReportHtml(asCompareResults(json, 'r.json'));
        } catch (e) {
          expect(e).not.toBeInstanceOf(RangeError);
        }
        expect(performance.now() - start).toBeLessThan(5000);
      }),
      { seed: SEED, numRuns: 25 }, // each render of the full MNIST report takes 0.1-0.25 s
    );
  });
});

// files the flag combinations point at
const file = (name: string, text: string): string => {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
};
const spec = file('spec.json', JSON.stringify({ kind: 'residual', inputSize: 2, outputSize: 2, width: 4, depth: 2 }));
const lstm = file('lstm.json', JSON.stringify({ kind: 'recurrent', cell: 'lstm', inputSize: 2, hiddenSize: 3, outputSize: 1 }));
const wide = file('wide.json', '{"kind":"residual","inputSize":1,"outputSize":1,"width":65536,"depth":1024}\n');
const notJson = file('bad.json', '{"kind": residual');
const tensor = file('x.json', JSON.stringify({ shape: [3, 2], data: [1, 2, 3, 4, 5, 6] }));
const outDir = join(tmp, 'out');
mkdirSync(outDir);

/** Mostly a value that works, sometimes one that must be refused. */
const value = (valid: string[], hostile: string[]) =>
  fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...valid) }, { weight: 1, arbitrary: fc.constantFrom(...hostile) });
const pathValue = value([spec], [lstm, wide, notJson, tensor, join(tmp, 'missing.json'), tmp, '']);
const flagValues: Record<string, fc.Arbitrary<string>> = {
  '--spec': pathValue,
  '--weights': value([join(tmp, 'w.safetensors')], [notJson, tensor, join(tmp, 'missing.json'), '']),
  '--input': value([tensor], [spec, notJson, join(tmp, 'missing.json')]),
  '--target': value([tensor], [spec, notJson, join(tmp, 'missing.json')]),
  '--resume': value([join(tmp, 'c-1.safetensors')], [tensor, notJson, join(tmp, 'missing.json')]),
  '--backend': value(['reference'], ['nope', '']),
  '--task': value(['spirals'], ['adding:T=4', 'adding:T=0', 'mnist:size=3', 'nope', '']),
  '--steps': value(['1', '2'], ['0', '-1', '1.5', 'abc', '1e1', '']),
  '--batch': value(['1', '4'], ['0', '1e9', 'x']),
  '--optimizer': value(['adam', 'sgd', 'adamw'], ['rmsprop']),
  '--lr': value(['0.01', '1e-3'], ['0', '-1', 'NaN', 'Infinity', '1e6']),
  '--momentum': value(['0.9'], ['-1', 'x']),
  '--clip': value(['1', 'norm:1', 'value:0.5'], ['value:0', 'x:1', 'norm:']),
  '--seed': value(['0', '7'], ['-1', '3.5']),
  '--save': value([join(tmp, 'w.safetensors'), join(tmp, 'w.json')], [join(tmp, 'w.txt'), tmp, '']),
  '--monitor': value([`jsonl:${join(tmp, 'm.jsonl')}`], ['jsonl:', 'csv:x']),
  '--checkpoint': value([join(tmp, 'c-{step}.safetensors')], ['']),
  '--checkpoint-every': value(['1'], ['0']),
  '--loss': value(['mse'], ['crossEntropy', 'hinge']),
  '--to': value(['onnx'], ['keras']),
  '--out': value([outDir], ['']),
  '--max-params': value(['5e7', 'Infinity'], ['10', '-1', 'x']),
  '--max-activation-bytes': value(['1e9'], ['100', '0']),
  '--max-layers': value(['4096'], ['1', 'abc']),
  '--bogus': fc.constant('1'),
};
const budget = ['--max-params', '--max-activation-bytes', '--max-layers'];
/** Per command: flags it requires (given most of the time) and flags it may take; `--bogus` it does not know. */
const commands: Record<string, { required: string[]; optional: string[]; positional?: () => string }> = {
  train: {
    required: ['--spec', '--task', '--backend', '--steps', '--save'],
    optional: ['--batch', '--optimizer', '--lr', '--momentum', '--clip', '--seed', '--weights', '--monitor', '--checkpoint', '--checkpoint-every', '--resume', ...budget, '--bogus'],
  },
  probe: { required: ['--backend', '--spec', '--input', '--target'], optional: ['--weights', '--loss', ...budget, '--bogus'] },
  export: { required: ['--spec', '--weights', '--to'], optional: [...budget, '--bogus'], positional: () => outDir },
  report: { required: [], optional: ['--out', '--bogus'], positional: () => file('results.json', '{}') },
};
const argv = fc
  .constantFrom(...Object.keys(commands))
  .chain((command) => {
    const c = commands[command]!;
    return fc
      .tuple(fc.subarray(c.required, { minLength: Math.max(0, c.required.length - 1) }), fc.subarray(c.optional, { maxLength: Math.min(3, c.optional.length) }), fc.boolean())
      .chain(([required, optional, positional]) =>
        fc.tuple(...[...required, ...optional].map((f) => flagValues[f]!.map((v) => [f, v]))).map((pairs) => [
          command,
          ...(positional && c.positional ? [c.positional()] : []),
          ...pairs.flat(),
        ]),
      );
  });

describe('fuzz: command-line flag combinations', () => {
  it('60 random flag combinations, run in-process: exit 0, 1 or 2 with one message and no stack trace, each within 20 s', { timeout: 120_000 }, async () => {
    const codes = new Set<number>();
    await fc.assert(
      fc.asyncProperty(argv, async (args) => {
        const r = await runInProcess(args);
        codes.add(r.code);
        expect([0, 1, 2]).toContain(r.code);
        expect(r.stderr).not.toMatch(/^\s+at .+[:(]/m);
        expect(r.stderr).not.toMatch(/TypeError|RangeError|ReferenceError|Cannot read properties/);
        if (r.code !== 0) expect(r.stderr).toMatch(/error/);
      }),
      { seed: SEED, numRuns: 60, timeout: 20_000 }, // a run over 20 s fails as a hang
    );
    expect([...codes].sort()).toEqual([0, 1, 2]); // the combinations reach work, runtime refusals and usage errors
  });
});
