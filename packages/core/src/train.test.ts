import { describe, expect, it, vi } from 'vitest';
import type { Batch, Model } from './backend.js';
import type { Checkpoint } from './checkpoint.js';
import { DisposedError, NonFiniteLossError, SpecError } from './errors.js';
import { createLinearModel } from './__fixtures__/linear-model.js';
import { initParams } from './init.js';
import { createHistoryRecorder } from './monitor/history.js';
import { every, type GradientMonitor } from './monitor/monitor.js';
import { createRng } from './random.js';
import { parseModelSpec, parseSpec, type ResidualSpec } from './spec.js';
import type { Task } from './tasks/task.js';
import { tensor } from './tensor.js';
import { train, type TrainProgress } from './train.js';
import type { TrainingConfigInput } from './training.js';

const spec = parseSpec({ kind: 'residual', inputSize: 3, outputSize: 2, width: 4, depth: 0, block: { activation: 'linear' } }) as ResidualSpec;
const freshModel = () => createLinearModel(spec, initParams(spec, { seed: 1 }));

/** A teacher regression: y = A x + c with fixed A, c and x ~ U(-1,1), seeded per batch index. */
function teacherTask(seed: number): Task {
  const A = [0.5, -1, 0.25, 2, 0.1, -0.3];
  const c = [0.2, -0.1];
  const batch = (rng: ReturnType<typeof createRng>, n: number): Batch => {
    const x = Array.from({ length: n * 3 }, () => rng.uniform(-1, 1));
    const y: number[] = [];
    for (let b = 0; b < n; b++) for (let o = 0; o < 2; o++) y.push(c[o]! + [0, 1, 2].reduce((s, k) => s + A[o * 3 + k]! * x[b * 3 + k]!, 0));
    return { input: tensor([n, 3], x), target: tensor([n, 2], y) };
  };
  return {
    name: 'teacher', inputSize: 3, outputSize: 2, loss: 'mse',
    trainBatch: (n, index) => batch(createRng(seed).stream(`train/${index}`), n),
    testSet: (n) => batch(createRng(seed).stream('test'), n),
  };
}

const adam: TrainingConfigInput = { optimizer: { type: 'adam', lr: 0.05 }, schedule: { type: 'cosine', tMax: 10 }, clip: { type: 'norm', maxNorm: 1 } };

function stepsSeen(): GradientMonitor & { steps: number[]; ended: number } {
  const m = { steps: [] as number[], ended: 0, onStep: (r: { step: number }) => void m.steps.push(r.step), onEnd: () => void (m.ended += 1) };
  return m;
}

describe('train', () => {
  it('runs the steps, emits progress for each and lowers the loss', async () => {
    const model = freshModel();
    const progress: TrainProgress[] = [];
    const result = await train({ model, task: teacherTask(0), steps: 60, batchSize: 16, config: adam, onProgress: (p) => progress.push(p) });
    expect(result.stopReason).toBe('completed');
    expect(result.finalStep).toBe(60);
    expect(result.losses).toHaveLength(60);
    expect(progress.map((p) => p.step)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(progress[0]!.lr).toBe(0.05);
    expect(progress[5]!.lr).toBeCloseTo(0.05 * (1 + Math.cos((Math.PI * 5) / 10)) / 2, 15);
    expect(progress.every((p, i) => p.elapsedMs >= (progress[i - 1]?.elapsedMs ?? 0))).toBe(true);
    expect(result.losses.at(-1)!).toBeLessThan(result.losses[0]! / 10);
  });

  it('stops after the step on which a monitor asks to stop, and ends every monitor', async () => {
    const watcher = stepsSeen();
    const stopper: GradientMonitor = { onStep: (r) => (r.step === 3 ? { stop: true, reason: 'seen enough' } : undefined) };
    const result = await train({ model: freshModel(), task: teacherTask(0), steps: 10, batchSize: 4, config: adam, monitors: [stopper, watcher] });
    expect(result).toMatchObject({ stopReason: 'monitor', message: 'seen enough', finalStep: 3 });
    expect(result.losses).toHaveLength(3);
    expect(watcher.steps).toEqual([1, 2, 3]);
    expect(watcher.ended).toBe(1);
    expect(result.lastReport?.step).toBe(3);
  });

  it('computes reports only on sampled steps, and hands each monitor only its own', async () => {
    const model = freshModel();
    const every2 = stepsSeen();
    const every3 = stepsSeen();
    const result = await train({ model, task: teacherTask(0), steps: 10, batchSize: 4, config: adam, monitors: [every(2, every2), every(3, every3)] });
    expect(every2.steps).toEqual([2, 4, 6, 8, 10]);
    expect(every3.steps).toEqual([3, 6, 9]);
    expect(model.reportsComputed).toBe(7); // steps 2, 3, 4, 6, 8, 9, 10
    expect(every2.ended + every3.ended).toBe(2);
    expect(result.lastReport?.step).toBe(10);
  });

  it('samples every monitor with reportEvery, and computes no report without monitors', async () => {
    const model = freshModel();
    const recorder = createHistoryRecorder();
    await train({ model, task: teacherTask(0), steps: 9, batchSize: 4, config: adam, monitors: [recorder], reportEvery: 4 });
    expect(recorder.summary().steps).toEqual([4, 8]);
    expect(model.reportsComputed).toBe(2);
    const quiet = freshModel();
    const result = await train({ model: quiet, task: teacherTask(0), steps: 5, batchSize: 4, config: adam });
    expect(quiet.reportsComputed).toBe(0);
    expect(result.lastReport).toBeUndefined();
  });

  it('stops at the refused non-finite step, keeps the weights of the step before and checkpoints them', async () => {
    const model = freshModel();
    const task = teacherTask(0);
    const recorder = createHistoryRecorder();
    const checkpoints: Checkpoint[] = [];
    const result = await train({ model, task, steps: 500, batchSize: 8, config: { optimizer: { type: 'sgd', lr: 3 } }, monitors: [recorder], checkpointEvery: 1000, onCheckpoint: (c) => void checkpoints.push(c) });
    expect(result.stopReason).toBe('nonFiniteLoss');
    expect(result.error).toBeInstanceOf(NonFiniteLossError);
    const failed = result.losses.length; // the refused step
    expect(result.error!.step).toBe(failed);
    expect(result.error!.message).toContain(`at step ${failed}; the step was refused`);
    expect(result.message).toMatch(new RegExp(`\\(those of step ${failed - 1}\\)$`));
    expect(result.finalStep).toBe(failed - 1);
    expect((await model.getTrainingState()).step).toBe(failed - 1);
    const params = await model.getParams();
    expect(Object.values(params).every((t) => t.data.every(Number.isFinite))).toBe(true);
    // Refused means untouched: the model gives the refused step's loss again on its batch.
    const { loss } = await model.computeGradients(task.trainBatch(8, failed - 1), 'mse');
    expect(loss).toBe(result.losses.at(-1));
    expect(checkpoints.map((c) => c.state.step)).toEqual([failed - 1]);
    expect(checkpoints[0]!.params).toEqual(params);
    expect(recorder.summary().steps).toHaveLength(failed);
  });

  it('snapshots nothing per step: getParams only for checkpoints, and a non-finite stop still leaves the last good weights', async () => {
    const model = freshModel();
    const getParams = vi.spyOn(model, 'getParams');
    const getState = vi.spyOn(model, 'getTrainingState');
    const result = await train({ model, task: teacherTask(0), steps: 500, batchSize: 8, config: { optimizer: { type: 'sgd', lr: 3 } } });
    expect(result.stopReason).toBe('nonFiniteLoss');
    expect(result.losses.length).toBeGreaterThan(2);
    expect(getParams).not.toHaveBeenCalled();
    expect(getState).not.toHaveBeenCalled();
    expect(Object.values(await model.getParams()).every((t) => t.data.every(Number.isFinite))).toBe(true);
    const again = freshModel();
    const spied = vi.spyOn(again, 'getParams');
    await train({ model: again, task: teacherTask(0), steps: 6, batchSize: 8, config: adam, checkpointEvery: 3, onCheckpoint: () => undefined });
    expect(spied).toHaveBeenCalledTimes(2); // steps 3 and 6 only
  });

  it('checkpoints every N steps, and resuming from a checkpoint equals uninterrupted training bit for bit', async () => {
    const task = teacherTask(7);
    const checkpoints: Checkpoint[] = [];
    const whole = freshModel();
    const full = await train({ model: whole, task, steps: 10, batchSize: 5, config: adam, checkpointEvery: 4, onCheckpoint: (c) => void checkpoints.push(c) });
    expect(checkpoints.map((c) => c.state.step)).toEqual([4, 8]);
    const at4 = checkpoints[0]!;
    expect(at4.spec).toEqual(spec);
    expect(at4.config).toMatchObject({ loss: 'mse', optimizer: { type: 'adam', lr: 0.05, eps: 1e-8 } });

    const resumed = createLinearModel(at4.spec as ResidualSpec, at4.params);
    const rest = await train({ model: resumed, task, steps: 6, batchSize: 5, config: at4.config, initialState: at4.state });
    expect(rest.finalStep).toBe(10);
    expect(rest.losses).toEqual(full.losses.slice(4));
    const a = await whole.getParams();
    const b = await resumed.getParams();
    for (const name of Object.keys(a)) expect(Buffer.from(b[name]!.data.buffer).equals(Buffer.from(a[name]!.data.buffer)), name).toBe(true);
    expect(await resumed.getTrainingState()).toEqual(await whole.getTrainingState());
  });

  it('stops before the next step when aborted', async () => {
    const controller = new AbortController();
    const result = await train({
      model: freshModel(), task: teacherTask(0), steps: 10, batchSize: 4, config: adam, signal: controller.signal,
      onProgress: (p) => p.step === 2 && controller.abort(),
    });
    expect(result).toMatchObject({ stopReason: 'aborted', message: 'aborted before step 3', finalStep: 2 });
    expect(result.losses).toHaveLength(2);
  });

  it('names every mismatch between model, task and options', async () => {
    const spirals: Task = { ...teacherTask(0), name: 'spirals', inputSize: 2, loss: 'crossEntropy' };
    const run = train({ model: freshModel(), task: spirals, steps: -1, batchSize: 4, config: { ...adam, loss: 'mse' } });
    await expect(run).rejects.toThrow(SpecError);
    await expect(train({ model: freshModel(), task: spirals, steps: -1, batchSize: 4, config: { ...adam, loss: 'mse' } })).rejects.toThrow(
      [
        'invalid training run: 3 problems',
        '  - steps: expected an integer >= 0, got -1',
        "  - task: spirals has inputSize 2, the model's spec 3",
        '  - config.loss: spirals is trained with crossEntropy, got mse',
      ].join('\n'),
    );
    const sequence: Task = { ...teacherTask(0), name: 'adding:T=5', sequenceLength: 5 };
    await expect(train({ model: freshModel(), task: sequence, steps: 1, batchSize: 4, config: adam })).rejects.toThrow(
      'adding:T=5 is a sequence task; a residual model needs a dense one',
    );
    const digits: Task = { ...teacherTask(0), name: 'mnist:size=14', inputSize: 196, outputSize: 10, loss: 'crossEntropy', inputShape: [1, 14, 14] };
    await expect(train({ model: freshModel(), task: digits, steps: 1, batchSize: 4, config: adam })).rejects.toThrow(
      'mnist:size=14 is an image task; a residual model needs a dense one',
    );
  });

  it('takes a conv spec with an image task of its shape, and names both shapes otherwise', async () => {
    const conv = parseModelSpec({ kind: 'residual', variant: 'conv', inputChannels: 1, inputSize: 12, outputSize: 10, stem: 'cifar', stages: [{ blocks: 1, channels: 4 }] });
    // train() checks the run before it calls the model: a model that only carries the conv spec is enough here.
    const convModel = Object.assign(Object.create(freshModel()) as Model, { spec: conv });
    const digits = (side: number): Task => ({ ...teacherTask(0), name: `mnist:size=${side}`, inputSize: side * side, outputSize: 10, loss: 'crossEntropy', inputShape: [1, side, side] });
    await expect(train({ model: convModel, task: digits(14), steps: 0, batchSize: 4, config: adam })).rejects.toThrow(
      "invalid training run: 1 problem\n  - task: mnist:size=14 has images [1, 14, 14], the model's spec takes [1, 12, 12] (channels, H, W)",
    );
    await expect(train({ model: convModel, task: { ...teacherTask(0), outputSize: 10, loss: 'crossEntropy' }, steps: 0, batchSize: 4, config: adam })).rejects.toThrow(
      'teacher is a dense task; a conv residual model needs an image one',
    );
    await expect(train({ model: convModel, task: digits(12), steps: 0, batchSize: 4, config: adam })).resolves.toMatchObject({ stopReason: 'completed', finalStep: 0 });
  });

  it('passes a backend error through and still ends the monitors', async () => {
    const model = freshModel();
    const watcher = stepsSeen();
    const run = train({
      model, task: teacherTask(0), steps: 5, batchSize: 4, config: adam, monitors: [watcher],
      onProgress: (p) => void (p.step === 2 && model.dispose()),
    });
    await expect(run).rejects.toThrow(DisposedError);
    expect(watcher.steps).toEqual([1, 2]);
    expect(watcher.ended).toBe(1);
  });
});
