import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { relativeError } from '@gradscope/core';

const appDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(appDir, 'dist', 'cli.js');
const example = (name: string): string => join(appDir, 'examples', name);

interface ProbeTensor {
  shape: number[];
  data: number[];
}
interface Probe {
  output: ProbeTensor;
  loss: number;
  grads: Record<string, ProbeTensor>;
  blockOutputGradNorms?: number[];
  hiddenGradNorms?: number[][];
  cellGradNormsPerTimestep?: number[];
  inputGradNormsPerTimestep?: number[];
  backend: string;
}

function probe(backend: string, spec: string, input: string, target: string, loss: string): Probe {
  const args = ['probe', '--backend', backend, '--spec', example(spec), '--input', example(input), '--target', example(target), '--loss', loss];
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as Probe;
}

/** Each value of a norm series within `tol` of the reference value itself (DESIGN.md: series span many decades). */
function worstPerValue(actual: readonly number[], reference: readonly number[]): number {
  expect(actual).toHaveLength(reference.length);
  return Math.max(...reference.map((r, i) => Math.abs(actual[i]! - r) / Math.abs(r)));
}

// brain.js has no convolution or BatchNorm layer: it declares no conv variant (cli.test.ts checks its message).
const cases = [
  { name: 'residual sigmoid net', spec: 'residual-sigmoid.json', input: 'residual-input.json', target: 'residual-target.json', loss: 'mse', backends: ['tfjs', 'onnx', 'brain'] },
  { name: 'stacked LSTM', spec: 'lstm.json', input: 'lstm-input.json', target: 'lstm-target.json', loss: 'mse', backends: ['tfjs', 'onnx', 'brain'] },
  { name: 'conv ResNet (BatchNorm, projection shortcut)', spec: 'conv-small.json', input: 'conv-input.json', target: 'conv-target.json', loss: 'crossEntropy', backends: ['tfjs', 'onnx'] },
];

describe.each(cases)('gradscope probe on $name: every backend agrees with --backend reference', ({ spec, input, target, loss, backends }) => {
  let reference: Probe;
  beforeAll(() => {
    reference = probe('reference', spec, input, target, loss);
  });
  it.each(backends)('%s', (backend) => {
    const got = probe(backend, spec, input, target, loss);
    expect(got.backend).toBe(backend);
    expect(relativeError(got.output.data, reference.output.data)).toBeLessThan(1e-5);
    expect(Math.abs(got.loss - reference.loss) / reference.loss).toBeLessThan(1e-5);
    expect(Object.keys(got.grads)).toEqual(Object.keys(reference.grads));
    for (const [name, g] of Object.entries(reference.grads)) {
      expect(relativeError(got.grads[name]!.data, g.data), name).toBeLessThan(1e-4);
    }
    for (const key of ['blockOutputGradNorms', 'cellGradNormsPerTimestep', 'inputGradNormsPerTimestep'] as const) {
      if (reference[key]) expect(worstPerValue(got[key]!, reference[key]), key).toBeLessThan(1e-3);
    }
    reference.hiddenGradNorms?.forEach((row, layer) => expect(worstPerValue(got.hiddenGradNorms![layer]!, row), `hidden layer ${layer}`).toBeLessThan(1e-3));
  });
});
