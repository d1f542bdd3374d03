import { initParams, parseSpec, type NetworkSpec } from '@gradscope/core';
import type { OnnxDevice } from '@gradscope/onnx';
import type { Workload } from './workloads.js';

/** A training step written directly in a runtime, as its own users would, or the reason there is none. */
export type Baseline =
  | { readonly kind: 'same' | 'near' | 'floor'; readonly note: string; readonly step: () => Promise<unknown>; readonly dispose: () => void }
  | { readonly kind: 'none'; readonly note: string };

function fill(n: number, phase: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = 0.5 + 0.5 * Math.sin(i * 0.37 + phase);
  return a;
}

/** tfjs: a `tf.LayersModel` compiled with SGD + MSE and trained with `trainOnBatch`. */
export async function tfjsBaseline(w: Workload): Promise<Baseline> {
  const tf = await import('@tensorflow/tfjs');
  const spec = parseSpec(w.spec);
  const lr = 1e-3;
  let model: import('@tensorflow/tfjs').LayersModel;
  let kind: 'same' | 'near' = 'same';
  let note = 'tf.LayersModel + trainOnBatch (SGD, MSE)';
  if (spec.kind === 'residual') {
    const input = tf.input({ shape: [spec.inputSize] });
    let h = tf.layers.dense({ units: spec.width, activation: spec.block.activation as 'tanh' }).apply(input) as import('@tensorflow/tfjs').SymbolicTensor;
    for (let i = 0; i < spec.depth; i++) {
      let f = h;
      for (let j = 0; j < spec.block.layers; j++) {
        f = tf.layers.dense({ units: spec.width, activation: spec.block.activation as 'tanh' }).apply(f) as import('@tensorflow/tfjs').SymbolicTensor;
      }
      h = spec.block.skip === 'identity' ? (tf.layers.add().apply([h, f]) as import('@tensorflow/tfjs').SymbolicTensor) : f;
    }
    const out = tf.layers.dense({ units: spec.outputSize }).apply(h) as import('@tensorflow/tfjs').SymbolicTensor;
    model = tf.model({ inputs: input, outputs: out });
  } else {
    const T = w.steps ?? 1;
    const common = { units: spec.hiddenSize, inputShape: [T, spec.inputSize], returnSequences: false };
    const rnn =
      spec.cell === 'lstm'
        ? tf.layers.lstm({ ...common, recurrentActivation: 'sigmoid' })
        : spec.cell === 'gru'
          ? tf.layers.gru({ ...common, recurrentActivation: 'sigmoid' })
          : tf.layers.simpleRNN({ ...common, activation: 'tanh' });
    if (spec.cell === 'gru') {
      kind = 'near';
      note = 'tf.layers.gru is the reset-before GRU (PyTorch is reset-after): a near relative, not the same model';
    }
    model = tf.sequential({ layers: [rnn, tf.layers.dense({ units: spec.outputSize })] });
  }
  model.compile({ optimizer: tf.train.sgd(lr), loss: 'meanSquaredError' });
  const inShape = spec.kind === 'residual' ? [w.batch, spec.inputSize] : [w.batch, w.steps ?? 1, spec.inputSize];
  const x = tf.tensor(fill(inShape.reduce((a, b) => a * b, 1), 0), inShape);
  const y = tf.tensor(fill(w.batch * spec.outputSize, 1), [w.batch, spec.outputSize]);
  return {
    kind,
    note,
    step: () => model.trainOnBatch(x, y),
    dispose: () => {
      x.dispose();
      y.dispose();
      model.dispose();
    },
  };
}

/**
 * onnx: raw onnxruntime (web's wasm or node's native build, as the adapter's `device`) running the adapter's own
 * training graph (the one an unmonitored `trainStep` runs), with tensors built once and plain SGD written in place over their data, as a user driving ORT by hand would.
 * The gap to the adapter is its host-side work: feeds, copies of the outputs, global norm, finite checks, optimizer.
 */
export async function onnxBaseline(w: Workload, threads: number, device: OnnxDevice = 'wasm'): Promise<Baseline> {
  const { trainingGraph, loadOrtRuntime } = await import('@gradscope/onnx');
  const ort = loadOrtRuntime(device);
  const spec = parseSpec(w.spec);
  if (spec.kind !== 'residual' && spec.kind !== 'recurrent') return { kind: 'none', note: 'no hand-written onnx baseline for this spec' };
  const lr = 1e-3;
  const steps = w.steps ?? 1;
  const graph = trainingGraph(spec, { batch: w.batch, steps, loss: 'mse' });
  const session = await ort.InferenceSession.create(graph.model, { executionProviders: [...ort.executionProviders], graphOptimizationLevel: 'basic', intraOpNumThreads: threads });
  const params = initParams(spec, { seed: 0 });
  const feeds: Record<string, import('onnxruntime-web').Tensor> = {};
  for (const p of graph.params) feeds[p.name] = new ort.Tensor('float32', Float32Array.from(params[p.name]!.data), p.shape);
  const inShape = spec.kind === 'residual' ? [w.batch, spec.inputSize] : [w.batch, steps, spec.inputSize];
  feeds[graph.input] = new ort.Tensor('float32', fill(inShape.reduce((a, b) => a * b, 1), 0), inShape);
  feeds[graph.target] = new ort.Tensor('float32', fill(w.batch * spec.outputSize, 1), [w.batch, spec.outputSize]);
  return {
    kind: 'same',
    note: `raw ${ort.packageName} session of the adapter's own training graph, tensors built once, SGD in place on the host`,
    step: async () => {
      const out = await session.run(feeds);
      for (const p of graph.params) {
        const wData = feeds[p.name]!.data as Float32Array;
        const g = out[p.grad]!.data as Float32Array;
        for (let i = 0; i < wData.length; i++) wData[i] = wData[i]! - lr * g[i]!;
      }
      for (const t of Object.values(out)) t.dispose();
    },
    dispose: () => void session.release(),
  };
}

type BrainModule = typeof import('brain.js');

/** brain.js: its own `NeuralNetwork` (plain MLPs only) or `LSTMTimeStep`/`RNNTimeStep` trained with its own `train`. */
export async function brainBaseline(w: Workload): Promise<Baseline> {
  const brain = (await import('brain.js')) as BrainModule;
  const spec: NetworkSpec = parseSpec(w.spec);
  if (spec.kind === 'residual') {
    if (spec.block.skip === 'identity') return { kind: 'none', note: 'brain.js NeuralNetwork has no skip connections' };
    const net = new brain.NeuralNetwork({ hiddenLayers: Array(spec.depth * spec.block.layers + 1).fill(spec.width), activation: spec.block.activation as 'tanh' });
    const data = Array.from({ length: w.batch }, (_, b) => ({ input: Array.from(fill(spec.inputSize, b)), output: Array.from(fill(spec.outputSize, b + 0.5)) }));
    net.train(data, { iterations: 1, errorThresh: 1e-12, log: false });
    return {
      kind: 'near',
      note: 'brain.js NeuralNetwork.train, one epoch of per-sample SGD over the batch; its output layer is tanh, not linear',
      step: async () => net.train(data, { iterations: 1, errorThresh: 1e-12, log: false }),
      dispose: () => undefined,
    };
  }
  if (spec.cell === 'gru') return { kind: 'none', note: 'brain.js has no GRU for time-step data' };
  const T = w.steps ?? 1;
  const Net = spec.cell === 'lstm' ? brain.recurrent.LSTMTimeStep : brain.recurrent.RNNTimeStep;
  const net = new Net({ inputSize: spec.inputSize, hiddenLayers: [spec.hiddenSize], outputSize: spec.inputSize });
  const data = Array.from({ length: w.batch }, (_, b) => Array.from({ length: T }, (_, t) => Array.from(fill(spec.inputSize, b * T + t))));
  net.train(data, { iterations: 1, errorThresh: 1e-12, log: false });
  return {
    kind: 'near',
    note: `brain.js ${spec.cell === 'lstm' ? 'LSTMTimeStep' : 'RNNTimeStep (ReLU)'}.train, next-step prediction: its own cell equations, a near relative`,
    step: async () => net.train(data, { iterations: 1, errorThresh: 1e-12, log: false }),
    dispose: () => undefined,
  };
}
