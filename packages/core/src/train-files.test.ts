// train() with the node file helpers: checkpoints written to disk and read back, reports streamed as JSON lines.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLinearModel } from './__fixtures__/linear-model.js';
import { initParams } from './init.js';
import { every } from './monitor/monitor.js';
import { checkpointWriter, createJsonlSink, readCheckpointFile } from './node.js';
import { parseSpec, type ResidualSpec } from './spec.js';
import { createSpiralsTask } from './tasks/spirals.js';
import { train } from './train.js';

const dir = mkdtempSync(join(tmpdir(), 'gradscope-train-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const spec = parseSpec({ kind: 'residual', inputSize: 2, outputSize: 2, width: 3, depth: 0, block: { activation: 'linear' } }) as ResidualSpec;
const task = createSpiralsTask({ seed: 3 });
const config = { optimizer: { type: 'adamw', lr: 0.02 }, schedule: { type: 'step', stepSize: 3, gamma: 0.5 } } as const;

describe('train() with files', () => {
  it('resumes from a checkpoint file exactly as if it had never stopped', async () => {
    const whole = createLinearModel(spec, initParams(spec, { seed: 2 }));
    const pattern = join(dir, 'ckpt-{step}.safetensors');
    await train({ model: whole, task, steps: 10, batchSize: 8, config, checkpointEvery: 4, onCheckpoint: checkpointWriter(pattern) });
    expect([4, 8, 12].map((s) => existsSync(join(dir, `ckpt-${s}.safetensors`)))).toEqual([true, true, false]);

    const checkpoint = await readCheckpointFile(join(dir, 'ckpt-4.safetensors'));
    expect(checkpoint.state.step).toBe(4);
    const resumed = createLinearModel(checkpoint.spec as ResidualSpec, checkpoint.params);
    await train({ model: resumed, task, steps: 6, batchSize: 8, config: checkpoint.config, initialState: checkpoint.state });
    const a = await whole.getParams();
    const b = await resumed.getParams();
    for (const name of Object.keys(a)) expect(Buffer.from(b[name]!.data.buffer).equals(Buffer.from(a[name]!.data.buffer)), name).toBe(true);
  });

  it('streams sampled reports to a JSON-lines file and closes it at the end', async () => {
    const path = join(dir, 'run.jsonl');
    const model = createLinearModel(spec, initParams(spec, { seed: 2 }));
    await train({ model, task, steps: 7, batchSize: 8, config, monitors: [every(2, createJsonlSink(path, { select: /^head\./ }))] });
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { step: number; params: object });
    expect(lines.map((l) => l.step)).toEqual([2, 4, 6]);
    expect(Object.keys(lines[0]!.params)).toEqual(['head.weight', 'head.bias']);
  });
});
