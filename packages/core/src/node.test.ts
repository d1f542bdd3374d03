import { readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ParamError, WeightsFormatError } from './errors.js';
import { initParams } from './init.js';
import {
  FileError,
  paramsFormatOf,
  readCheckpointFile,
  readParamsFile,
  writeCheckpointFile,
  writeFileAtomic,
  writeParamsFile,
} from './node.js';
import { loadParams } from './params-io.js';
import { parseParamsJson } from './params-json.js';
import { decodeFloat64, parseSafetensors } from './safetensors.js';
import { parseSpec } from './spec.js';
import { parseTrainingConfig } from './training.js';

/** Lets a test make the temporary file's write fail half-way, as a crash or a full disk would. */
const crash = vi.hoisted(() => ({ afterBytes: -1 }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...real,
    open: async (...args: Parameters<typeof real.open>) => {
      const handle = await real.open(...args);
      if (crash.afterBytes < 0) return handle;
      const limit = crash.afterBytes;
      return new Proxy(handle, {
        get(target, prop) {
          if (prop === 'writeFile') {
            return async (data: Uint8Array | string) => {
              const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
              await target.write(bytes.subarray(0, limit));
              throw new Error('simulated crash during write');
            };
          }
          const value: unknown = Reflect.get(target, prop);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    },
  };
});

const fixtures = fileURLToPath(new URL('./__fixtures__/', import.meta.url));
const spec = parseSpec({ kind: 'residual', inputSize: 3, outputSize: 2, width: 4, depth: 2 });
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gradscope-core-io-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('PyTorch safetensors fixtures (tools/torch/make_fixtures.py core)', () => {
  interface Expected {
    files: Record<string, { spec: unknown; dtype: string; params: unknown }>;
  }
  // Read synchronously at collection time so each file becomes its own test.
  const expected = JSON.parse(readFileSync(join(fixtures, 'expected.json'), 'utf8')) as Expected;

  it('covers F32, F64, F16 and BF16 files of residual and LSTM modules', () => {
    expect(new Set(Object.values(expected.files).map((f) => f.dtype))).toEqual(new Set(['F32', 'F64', 'F16', 'BF16']));
  });

  for (const [file, want] of Object.entries(expected.files)) {
    it(`${file} loads as torch's float32 values`, async () => {
      const fileSpec = parseSpec(want.spec);
      const params = await readParamsFile(join(fixtures, file), fileSpec);
      const reference = parseParamsJson(want.params as object, 'expected.json');
      expect(Object.keys(params)).toEqual(Object.keys(reference));
      for (const [name, t] of Object.entries(reference)) {
        expect(params[name]!.shape, name).toEqual(t.shape);
        expect(params[name]!.data, name).toEqual(t.data); // bit-identical to torch's .float()
      }
    });
  }

  it('rounds the float64 module to float32 as torch does (the raw values are not float32 values)', async () => {
    const bytes = new Uint8Array(await readFile(join(fixtures, 'residual.f64.safetensors')));
    const params = loadParams(spec, bytes, { format: 'safetensors' });
    const raw = decodeFloat64(parseSafetensors(bytes).entries.find((e) => e.name === 'head.weight')!);
    const want = parseParamsJson(expected.files['residual.f64.safetensors']!.params as object);
    expect(params['head.weight']!.data).toEqual(want['head.weight']!.data);
    expect([...raw].filter((v, i) => v !== params['head.weight']!.data[i]).length).toBe(raw.length);
  });
});

describe('readParamsFile / writeParamsFile', () => {
  it('writes and reads both formats by extension, bit-identically', async () => {
    const params = initParams(spec, { seed: 5, scheme: 'kaiming' });
    for (const file of ['w.json', 'w.SAFETENSORS']) {
      const path = join(dir, file);
      await writeParamsFile(path, params);
      expect(await readParamsFile(path, spec)).toEqual(params);
    }
    expect((await readFile(join(dir, 'w.json'), 'utf8')).startsWith('{\n  "stem.weight": {"shape": [4, 3], "data": [')).toBe(true);
  });

  it('names the file when it is missing, has an unknown extension or is malformed', async () => {
    const missing = join(dir, 'nope.safetensors');
    const e1 = await rejection(readParamsFile(missing, spec));
    expect(e1).toBeInstanceOf(FileError);
    expect(e1.message).toBe(`weights file not found: ${missing}`);
    expect((e1 as FileError).code).toBe('FILE_NOT_FOUND');

    const e2 = await rejection(readParamsFile(join(dir, 'w.pt'), spec));
    expect(e2).toBeInstanceOf(WeightsFormatError);
    expect(e2.message).toBe(`cannot tell the weights format of ${join(dir, 'w.pt')}: expected a .json or .safetensors file, got ".pt"`);
    expect(() => paramsFormatOf('weights')).toThrow('expected a .json or .safetensors file, got no extension');

    const truncated = join(dir, 'truncated.safetensors');
    const whole = await readFile(join(fixtures, 'residual.f32.safetensors'));
    await writeFile(truncated, whole.subarray(0, 100));
    const e3 = await rejection(readParamsFile(truncated, spec));
    expect(e3).toBeInstanceOf(WeightsFormatError);
    expect(e3.message).toMatch(new RegExp(`^${truncated.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: header length \\d+ runs past the end of the file \\(100 bytes\\)`));

    const e4 = await rejection(readParamsFile(join(fixtures, 'lstm.f32.safetensors'), spec));
    expect(e4).toBeInstanceOf(ParamError);
    expect(e4.message.split('\n')[0]).toBe(`parameters in ${join(fixtures, 'lstm.f32.safetensors')} do not match the spec:`);
    expect(e4.message).toContain('  - missing: stem.weight');
    expect(e4.message).toContain('  - unexpected: lstm.weight_ih_l0');
  });

  it('reports a folder given as a file as an I/O error with the path', async () => {
    const folder = join(dir, 'folder.json');
    await mkdir(folder);
    const e = await rejection(readParamsFile(folder, spec));
    expect(e).toBeInstanceOf(FileError);
    expect((e as FileError).code).toBe('FILE_IO');
    expect(e.message.startsWith(`cannot read weights file ${folder}: `)).toBe(true);
  });
});

describe('readCheckpointFile / writeCheckpointFile', () => {
  it('round-trips a checkpoint through a file', async () => {
    const params = initParams(spec, { seed: 1 });
    const checkpoint = {
      spec, params, config: parseTrainingConfig({ optimizer: { type: 'sgd', lr: 0.1, momentum: 0.9 } }),
      state: { step: 4, optimizer: { step: 4, slots: { momentum_buffer: { 'head.bias': Float64Array.from([0.25, -1 / 3]) } } } },
    };
    const path = join(dir, 'ck.safetensors');
    await writeCheckpointFile(path, checkpoint);
    expect(await readCheckpointFile(path)).toEqual(checkpoint);
    const e = await rejection(readCheckpointFile(join(dir, 'none.safetensors')));
    expect(e.message).toBe(`checkpoint file not found: ${join(dir, 'none.safetensors')}`);
  });
});

describe('writeFileAtomic', () => {
  it('replaces the file and leaves no temporary file behind', async () => {
    const path = join(dir, 'atomic.txt');
    await writeFileAtomic(path, 'old');
    await writeFileAtomic(path, new TextEncoder().encode('new contents'));
    expect(await readFile(path, 'utf8')).toBe('new contents');
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('keeps the permission bits of the file it replaces', async () => {
    const path = join(dir, 'private.json');
    await writeFile(path, '{}', { mode: 0o600 });
    await chmod(path, 0o600);
    await writeFileAtomic(path, '{"a": 1}');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('keeps the old file intact when the write is interrupted', async () => {
    const path = join(dir, 'ck-old.safetensors');
    await writeFileAtomic(path, 'the previous checkpoint');
    crash.afterBytes = 5;
    try {
      const e = await rejection(writeFileAtomic(path, 'a new checkpoint that never finishes'));
      expect(e).toBeInstanceOf(FileError);
      expect(e.message).toBe(`cannot write ${path}: simulated crash during write`);
    } finally {
      crash.afterBytes = -1;
    }
    expect(await readFile(path, 'utf8')).toBe('the previous checkpoint');
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('names the path when the folder does not exist', async () => {
    const path = join(dir, 'missing-folder', 'w.json');
    const e = await rejection(writeFileAtomic(path, '{}'));
    expect(e).toBeInstanceOf(FileError);
    expect(e.message).toBe(`cannot write ${path}: no such file or directory (ENOENT)`);
  });
});
