// A small, honest Model for testing train(): a two-layer linear network (residual spec, depth 0, activation
// `linear`: y = head(stem(x))) with exact hand-written gradients, trained through core's applyTrainingStep.
// Core cannot depend on testkit's reference backend (that would be a cycle), so this stands in for a backend.
import type { Batch, Model, StepOptions, StepResult } from '../backend.js';
import type { TrainingState } from '../training-state.js';
import { DisposedError, NotSupportedError } from '../errors.js';
import { computeLoss } from '../loss.js';
import { cloneOptimizerState, createOptimizerState, type OptimizerState } from '../optim.js';
import { cloneParams, validateParams, type ParamSet } from '../params.js';
import type { GradientResult } from '../report.js';
import { checkBatch } from '../shapes.js';
import type { ResidualSpec } from '../spec.js';
import { applyTrainingStep } from '../step.js';
import { tensor, type Tensor } from '../tensor.js';
import type { LossName, TrainingConfig } from '../training.js';

export interface LinearModel extends Model {
  /** How many training steps asked for a report. */
  readonly reportsComputed: number;
}

export function createLinearModel(spec: ResidualSpec, params: ParamSet): LinearModel {
  if (spec.depth !== 0 || spec.block.activation !== 'linear') throw new NotSupportedError('linear-test', 'anything but depth 0 with activation linear');
  let p = cloneParams(validateParams(spec, params));
  let config: TrainingConfig | undefined;
  let optimizer: OptimizerState = createOptimizerState();
  let disposed = false;
  let reportsComputed = 0;
  const alive = (): void => {
    if (disposed) throw new DisposedError('linear-test model');
  };
  const { inputSize: nIn, width: nHid, outputSize: nOut } = spec;

  function run(input: Tensor): { hidden: Float64Array; output: Float64Array; batch: number } {
    const batch = input.shape[0]!;
    const hidden = new Float64Array(batch * nHid);
    const output = new Float64Array(batch * nOut);
    const [w1, b1, w2, b2] = [p['stem.weight']!.data, p['stem.bias']!.data, p['head.weight']!.data, p['head.bias']!.data];
    for (let b = 0; b < batch; b++) {
      for (let j = 0; j < nHid; j++) {
        let s = b1[j]!;
        for (let k = 0; k < nIn; k++) s += w1[j * nIn + k]! * input.data[b * nIn + k]!;
        hidden[b * nHid + j] = s;
      }
      for (let o = 0; o < nOut; o++) {
        let s = b2[o]!;
        for (let j = 0; j < nHid; j++) s += w2[o * nHid + j]! * hidden[b * nHid + j]!;
        output[b * nOut + o] = s;
      }
    }
    return { hidden, output, batch };
  }

  function gradients(batchData: Batch, lossName: LossName): { loss: number; output: Float64Array; grads: Record<string, Float64Array> } {
    checkBatch(spec, batchData, lossName);
    const { hidden, output, batch } = run(batchData.input);
    const { loss, grad: dy } = computeLoss(lossName, output, batchData.target.data, batch);
    const w2 = p['head.weight']!.data;
    const g = {
      'stem.weight': new Float64Array(nHid * nIn),
      'stem.bias': new Float64Array(nHid),
      'head.weight': new Float64Array(nOut * nHid),
      'head.bias': new Float64Array(nOut),
    };
    for (let b = 0; b < batch; b++) {
      const dh = new Float64Array(nHid);
      for (let o = 0; o < nOut; o++) {
        const d = dy[b * nOut + o]!;
        g['head.bias'][o]! += d;
        for (let j = 0; j < nHid; j++) {
          g['head.weight'][o * nHid + j]! += d * hidden[b * nHid + j]!;
          dh[j]! += d * w2[o * nHid + j]!;
        }
      }
      for (let j = 0; j < nHid; j++) {
        g['stem.bias'][j]! += dh[j]!;
        for (let k = 0; k < nIn; k++) g['stem.weight'][j * nIn + k]! += dh[j]! * batchData.input.data[b * nIn + k]!;
      }
    }
    return { loss, output, grads: g };
  }

  return {
    spec,
    backend: 'linear-test',
    get reportsComputed() {
      return reportsComputed;
    },
    async forward(input) {
      alive();
      const { output, batch } = run(input);
      return tensor([batch, nOut], output);
    },
    async computeGradients(batch, lossName): Promise<GradientResult> {
      alive();
      const { loss, output, grads } = gradients(batch, lossName);
      const asTensors: ParamSet = {};
      for (const [name, g] of Object.entries(grads)) asTensors[name] = tensor(p[name]!.shape, g);
      return { output: tensor([batch.input.shape[0]!, nOut], output), loss, grads: asTensors };
    },
    configureTraining(c) {
      alive();
      config = c;
      optimizer = createOptimizerState();
    },
    async trainStep(batch, options: StepOptions = {}): Promise<StepResult> {
      alive();
      if (!config) throw new Error('configureTraining first');
      const { loss, grads } = gradients(batch, config.loss);
      const data = Object.fromEntries(Object.entries(p).map(([n, t]) => [n, t.data]));
      const applied = applyTrainingStep(config, optimizer, data, grads, options.report === true, loss);
      const base = { step: applied.nonFinite ? optimizer.step + 1 : optimizer.step, loss, lr: applied.lr, gradNorm: applied.gradNorm, clipCoef: applied.clipCoef };
      const result: StepResult = applied.nonFinite ? { ...base, nonFinite: applied.nonFinite } : base;
      if (!options.report) return result;
      reportsComputed += 1;
      return { ...result, report: { ...base, params: applied.params!, blockOutputGradNorms: [], deadUnitFractions: [] } };
    },
    async getParams() {
      alive();
      return cloneParams(p);
    },
    async setParams(next) {
      alive();
      p = cloneParams(validateParams(spec, next));
    },
    async getTrainingState(): Promise<TrainingState> {
      alive();
      return { step: optimizer.step, optimizer: cloneOptimizerState(optimizer) };
    },
    async setTrainingState(state) {
      alive();
      optimizer = cloneOptimizerState(state.optimizer);
      optimizer.step = state.step;
    },
    async dispose() {
      disposed = true;
    },
  };
}

