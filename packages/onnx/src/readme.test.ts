import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { OnnxSession } from './session.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const example = /```ts\n([\s\S]*?)```/.exec(readme)![1]!;

describe('README', () => {
  it('runs the first example as written against the built package and writes a loadable lstm.onnx', async () => {
    // The example imports `@gradscope/onnx` (this package's dist, by self-reference) and writes lstm.onnx to the cwd.
    const file = fileURLToPath(new URL('../.readme-example.tmp.ts', import.meta.url));
    const dir = mkdtempSync(join(tmpdir(), 'gradscope-readme-'));
    const cwd = process.cwd();
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    writeFileSync(file, example);
    try {
      process.chdir(dir);
      await import(/* @vite-ignore */ file);
      const onnxFile = join(dir, 'lstm.onnx');
      expect(existsSync(onnxFile)).toBe(true);
      const session = await OnnxSession.create(readFileSync(onnxFile));
      const out = await session.run({ input: { dims: [3, 7, 2], data: new Float32Array(42).fill(0.5) } });
      expect(out.output!.dims).toEqual([3, 1]);
      await session.release();
      expect(log.mock.calls.some(([line]) => String(line).startsWith('step 100: loss'))).toBe(true);
    } finally {
      process.chdir(cwd);
      log.mockRestore();
      rmSync(file, { force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
