import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadGoldenCases } from '@gradscope/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { createOnnxBackend } from './backend.js';
import { exportOnnx } from './export.js';
import { OnnxSession } from './session.js';
import { hasPythonOnnx, python, relErr, seededRandom, uniform } from './test-helpers.js';

// One golden per network (the mse case of each): exported files must compute what PyTorch computed.
const goldens = loadGoldenCases(['residual', 'recurrent']).filter((c) => c.loss === 'mse');

const backend = createOnnxBackend();
afterAll(() => backend.dispose());

describe('exportOnnx', () => {
  for (const golden of goldens) {
    it(`${golden.id}: the exported model loads in onnxruntime and matches the training graph within 1e-5`, async () => {
      const { spec, params } = golden;
      const input = golden.batch.input;
      const session = await OnnxSession.create(exportOnnx(spec, params));
      expect(session.inputNames).toEqual(['input']);
      expect(session.outputNames).toEqual(['output']);
      const model = await backend.createModel(spec, params);
      // The golden batch, and a different batch size (and length) to show both stay free in the file.
      const rand = seededRandom(golden.id.length);
      const other = input.shape.map((d, i) => (i === 0 ? d + 3 : i === 1 && spec.kind === 'recurrent' ? d + 2 : d));
      for (const x of [input, { shape: other, data: uniform(rand, other.reduce((a, b) => a * b, 1), -1, 1) }]) {
        const exported = (await session.run({ input: { dims: x.shape, data: x.data } })).output!;
        const trained = await model.forward(x);
        expect(exported.dims).toEqual(trained.shape);
        expect(relErr(exported.data, trained.data)).toBeLessThan(1e-5);
      }
      expect(relErr((await session.run({ input: { dims: input.shape, data: input.data } })).output!.data, golden.expected.output.data)).toBeLessThan(1e-5);
      await session.release();
      await model.dispose();
    });
  }

  it('names the problem when the weights do not fit the spec', () => {
    const { spec } = goldens[0]!;
    const params = { ...goldens[0]!.params };
    params['stem.weight'] = { shape: [2, 2], data: new Float32Array(4) };
    expect(() => exportOnnx(spec, params)).toThrow(/stem\.weight: expected shape \[\d+, \d+\], got \[2, 2\]/);
  });
});

const hasOnnx = hasPythonOnnx;

describe('exported files pass the onnx checker', () => {
  const title = hasOnnx
    ? 'onnx.checker.check_model(full_check=True) accepts every exported file (Debian python3-onnx)'
    : `onnx.checker on exported files — skipped: ${python} with the onnx module is not available`;
  it.skipIf(!hasOnnx)(title, () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradscope-onnx-'));
    try {
      const files = goldens.map((golden, i) => {
        const file = join(dir, `model${i}.onnx`);
        writeFileSync(file, exportOnnx(golden.spec, golden.params));
        return file;
      });
      const script = 'import onnx, sys\nfor p in sys.argv[1:]:\n    onnx.checker.check_model(onnx.load(p), full_check=True)\nprint("ok", len(sys.argv) - 1)';
      expect(execFileSync(python, ['-c', script, ...files], { encoding: 'utf8' }).trim()).toBe(`ok ${files.length}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
