import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { OnnxSession } from './session.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const examples = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);

/**
 * Runs a README example as written against the built package (it imports `@gradscope/onnx`, this package's dist,
 * by self-reference) in a fresh directory; returns that directory and what the example logged.
 */
async function runExample(code: string, name: string, check: (dir: string, lines: string[]) => Promise<void>): Promise<void> {
  const file = fileURLToPath(new URL(`../.readme-${name}.tmp.ts`, import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'gradscope-readme-'));
  const cwd = process.cwd();
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  writeFileSync(file, code);
  try {
    process.chdir(dir);
    await import(/* @vite-ignore */ file);
    await check(dir, log.mock.calls.map((args) => args.map(String).join(' ')));
  } finally {
    process.chdir(cwd);
    log.mockRestore();
    rmSync(file, { force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('README', () => {
  it('runs the first example as written against the built package and writes a loadable lstm.onnx', async () => {
    await runExample(examples[0]!, 'lstm', async (dir, lines) => {
      const onnxFile = join(dir, 'lstm.onnx');
      expect(existsSync(onnxFile)).toBe(true);
      const session = await OnnxSession.create(readFileSync(onnxFile));
      const out = await session.run({ input: { dims: [3, 7, 2], data: new Float32Array(42).fill(0.5) } });
      expect(out.output!.dims).toEqual([3, 1]);
      await session.release();
      expect(lines.some((line) => line.startsWith('step 100: loss'))).toBe(true);
    });
  });

  it('runs the conv ResNet example as written: block norms logged, eval forward, a loadable NCHW resnet.onnx', async () => {
    await runExample(examples.find((code) => code.includes("variant: 'conv'"))!, 'resnet', async (dir, lines) => {
      expect(lines.some((line) => /^step 20: loss \d\.\d{3}, \|\|dL\/d block\|\| \S+ \S+ \S+$/.test(line))).toBe(true);
      expect(lines).toContain('eval output 16,10');
      const session = await OnnxSession.create(readFileSync(join(dir, 'resnet.onnx')));
      const out = await session.run({ input: { dims: [3, 1, 8, 8], data: new Float32Array(192).fill(0.5) } });
      expect(out.output!.dims).toEqual([3, 10]);
      await session.release();
    });
  });
});
