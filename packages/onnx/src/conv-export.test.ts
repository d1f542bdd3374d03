import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConvResidualSpec } from '@gradscope/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createOnnxBackend } from './backend.js';
import { exportOnnx } from './export.js';
import { OnnxSession } from './session.js';
import { batchOf, convSpec, hasPythonOnnx, paramsOf, python, relErr } from './test-helpers.js';

const backend = createOnnxBackend();
afterAll(() => backend.dispose());

const twoStages = [{ blocks: 1, channels: 4 }, { blocks: 2, channels: 8, stride: 2 }];
const cases: { name: string; spec: ConvResidualSpec }[] = [
  { name: 'cifar stem, zero-pad shortcut', spec: convSpec({ stem: 'cifar', shortcut: 'zeropad', stages: twoStages }) },
  { name: 'imagenet stem, projection shortcut', spec: convSpec({ stem: 'imagenet', inputSize: [12, 10], shortcut: 'projection', stages: twoStages }) },
  { name: 'plain net without BatchNorm', spec: convSpec({ stem: 'cifar', skip: 'none', norm: 'none', stages: twoStages }) },
];

describe('exportOnnx of conv residual specs', () => {
  for (const c of cases) {
    it(`${c.name}: the exported model matches the training graph's BN eval-mode forward within 1e-5, at any batch size`, async () => {
      const params = paramsOf(c.spec, 11);
      const session = await OnnxSession.create(exportOnnx(c.spec, params));
      expect(session.inputNames).toEqual(['input']);
      expect(session.outputNames).toEqual(['output']);
      const model = await backend.createModel(c.spec, params);
      model.setBatchNormMode?.('eval');
      for (const n of [2, 5]) {
        const input = batchOf(c.spec, n, 'mse', n).input;
        const exported = (await session.run({ input: { dims: input.shape, data: input.data } })).output!;
        const trained = await model.forward(input);
        expect(exported.dims).toEqual([n, c.spec.outputSize]);
        expect(relErr(exported.data, trained.data), `batch ${n}`).toBeLessThan(1e-5);
      }
      await session.release();
      await model.dispose();
    });
  }

  it('names the problem when the weights do not fit the spec', () => {
    const spec = cases[0]!.spec;
    const params = paramsOf(spec, 1);
    params['layer2.0.bn1.running_var'] = { shape: [4], data: new Float32Array(4) };
    expect(() => exportOnnx(spec, params)).toThrow('layer2.0.bn1.running_var: expected shape [8], got [4]');
  });
});

describe('exported conv files pass the onnx checker', () => {
  const title = hasPythonOnnx
    ? 'onnx.checker.check_model(full_check=True) accepts them, built from native Conv/BatchNormalization/MaxPool (Debian python3-onnx)'
    : `onnx.checker on exported conv files — skipped: ${python} with the onnx module is not available`;
  it.skipIf(!hasPythonOnnx)(title, () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradscope-onnx-conv-'));
    try {
      const files = cases.map((c, i) => {
        const file = join(dir, `conv${i}.onnx`);
        writeFileSync(file, exportOnnx(c.spec, paramsOf(c.spec, i)));
        return file;
      });
      const script = [
        'import onnx, sys',
        'ops = set()',
        'for p in sys.argv[1:]:',
        '    m = onnx.load(p)',
        '    onnx.checker.check_model(m, full_check=True)',
        '    ops.update(n.op_type for n in m.graph.node)',
        'print(" ".join(sorted(ops)))',
      ].join('\n');
      const ops = execFileSync(python, ['-c', script, ...files], { encoding: 'utf8' }).trim().split(' ');
      expect(ops).toEqual(expect.arrayContaining(['BatchNormalization', 'Conv', 'GlobalAveragePool', 'Gemm', 'MaxPool']));
      // Eval-mode BatchNorm is the native op, not the training decomposition.
      expect(ops).not.toContain('ReduceMean');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
