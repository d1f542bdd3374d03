import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createMnistTask as createTask, digitsFromFiles, type MnistDigits, type MnistTask, type MnistTaskOptions } from './mnist-task.js';

export * from './mnist-task.js';

let cached: MnistDigits | undefined;

/** The folder of `0.json` .. `9.json`, each `{ "data": [...] }` with 784 values per image concatenated. */
export function mnistDigitsDir(): string {
  return join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
}

/**
 * Reads the digit files directly (the package's own `set()` draws with Math.random, which no seed controls).
 * Loaded once per process.
 */
export function loadMnistDigits(): MnistDigits {
  if (cached) return cached;
  const perDigit = Array.from({ length: 10 }, (_, d) => {
    const json = JSON.parse(readFileSync(join(mnistDigitsDir(), `${d}.json`), 'utf8')) as { data: number[] };
    return json.data;
  });
  cached = digitsFromFiles(perDigit);
  return cached;
}

/** `createMnistTask` of ./mnist-task.ts, on the `mnist` package's digits unless `digits` is given. */
export function createMnistTask(options: Omit<MnistTaskOptions, 'digits'> & { readonly digits?: MnistDigits }): MnistTask {
  return createTask({ ...options, digits: options.digits ?? loadMnistDigits() });
}
