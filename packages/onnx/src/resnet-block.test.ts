import { describe, expect, it } from 'vitest';
import { appendBackward } from './autodiff.js';
import { batchNormTraining } from './conv-batchnorm.js';
import { Graph } from './graph.js';
import { OnnxSession, type Feeds } from './session.js';
import { finiteDifferences, relErr, seededRandom, uniform } from './test-helpers.js';

type Shortcut = 'identity' | 'projection' | 'zeroPad';

interface NetCase {
  readonly name: string;
  /** Input [N, C, S, S]. */
  readonly input: readonly [number, number, number, number];
  /** A 3x3 stride-2 conv + BN + ReLU + 3x3 stride-2 max-pool stem to `width` channels before the block. */
  readonly stem?: { readonly width: number };
  readonly shortcut: Shortcut;
  /** Block output channels (twice its input channels for the downsampling shortcuts). */
  readonly out: number;
}

const K = 3;

/**
 * A hand-built residual network: [stem], one BasicBlock (conv3x3-BN-ReLU-conv3x3-BN, shortcut, ReLU) with batch-
 * statistics BN, global average pool, Linear head, MSE loss. Downsampling blocks start with a stride-2 conv; their
 * shortcut is a 1x1 stride-2 conv + BN (projection) or the parameter-free subsample + zero channels ("option A",
 * as a 1x1 stride-2 MaxPool and a Pad). Every feed is a graph input, so all get gradients.
 */
function residualNet(c: NetCase): { model: Uint8Array; shapes: Record<string, number[]> } {
  const [n, channels, side] = c.input;
  const inC = c.stem?.width ?? channels;
  const stride = c.shortcut === 'identity' ? 1 : 2;
  const shapes: Record<string, number[]> = { x: [...c.input] };
  if (c.stem) Object.assign(shapes, { 'conv1.weight': [inC, channels, 3, 3], 'bn1.weight': [inC], 'bn1.bias': [inC] });
  Object.assign(shapes, {
    'layer.conv1.weight': [c.out, inC, 3, 3],
    'layer.bn1.weight': [c.out],
    'layer.bn1.bias': [c.out],
    'layer.conv2.weight': [c.out, c.out, 3, 3],
    'layer.bn2.weight': [c.out],
    'layer.bn2.bias': [c.out],
  });
  if (c.shortcut === 'projection') Object.assign(shapes, { 'layer.down.weight': [c.out, inC, 1, 1], 'layer.downbn.weight': [c.out], 'layer.downbn.bias': [c.out] });
  Object.assign(shapes, { 'fc.weight': [K, c.out], 'fc.bias': [K], target: [n, K] });

  const g = new Graph(c.name);
  const v = Object.fromEntries(Object.entries(shapes).map(([name, dims]) => [name, g.input(name, dims)])) as Record<string, string>;
  const conv = (x: string, w: string, k: number, s: number): string =>
    g.op1('Conv', [x, v[w]!], { kernel_shape: [k, k], strides: [s, s], pads: new Array<number>(4).fill((k - 1) / 2) });
  const bn = (x: string, prefix: string): string => batchNormTraining(g, x, v[`${prefix}.weight`]!, v[`${prefix}.bias`]!).y;
  let x = v.x!;
  if (c.stem) {
    const stem = g.op1('Relu', [bn(conv(x, 'conv1.weight', 3, 2), 'bn1')]);
    x = g.op1('MaxPool', [stem], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
  }
  const h = g.op1('Relu', [bn(conv(x, 'layer.conv1.weight', 3, stride), 'layer.bn1')]);
  const main = bn(conv(h, 'layer.conv2.weight', 3, 1), 'layer.bn2');
  let shortcut = x;
  if (c.shortcut === 'projection') shortcut = bn(conv(x, 'layer.down.weight', 1, 2), 'layer.downbn');
  if (c.shortcut === 'zeroPad') {
    const sub = g.op1('MaxPool', [x], { kernel_shape: [1, 1], strides: [2, 2] });
    const extra = c.out - inC;
    shortcut = g.op1('Pad', [sub, g.constInt64([0, extra / 2, 0, 0, 0, extra - extra / 2, 0, 0])]);
  }
  const out = g.op1('Relu', [g.op1('Add', [main, shortcut])]);
  const pooled = g.op1('Reshape', [g.op1('GlobalAveragePool', [out]), g.constInt64([n, c.out])]);
  const y = g.op1('Gemm', [pooled, v['fc.weight']!, v['fc.bias']!], { transB: 1 });
  const err = g.op1('Sub', [y, v.target!]);
  const loss = g.rename(g.op1('ReduceMean', [g.op1('Mul', [err, err])], { keepdims: 0 }), 'loss');
  g.output(loss);
  const wrt = Object.keys(shapes).filter((name) => name !== 'target');
  const back = appendBackward(g, loss, wrt);
  for (const name of wrt) g.output(g.rename(back.gradOf(name)!, `grad:${name}`));
  return { model: g.toModel(), shapes };
}

const cases: NetCase[] = [
  { name: 'conv3x3-BN-ReLU-conv3x3-BN + identity, ReLU, global average pool, Linear, MSE', input: [2, 2, 5, 5], shortcut: 'identity', out: 2 },
  { name: 'stem (conv stride 2, BN, ReLU, max-pool) + downsampling block with a projection shortcut', input: [2, 1, 11, 11], stem: { width: 2 }, shortcut: 'projection', out: 4 },
  { name: 'downsampling block with the zero-padding shortcut (option A)', input: [2, 2, 6, 6], shortcut: 'zeroPad', out: 4 },
];

describe('residual networks built from the conv ops: generated gradients against finite differences', () => {
  for (const c of cases) {
    it(`${c.name}: the input and every parameter`, async () => {
      const { model, shapes } = residualNet(c);
      const rand = seededRandom(2026);
      const feeds: Feeds = {};
      for (const [name, dims] of Object.entries(shapes)) {
        const size = dims.reduce((a, b) => a * b, 1);
        const isScale = /bn\d?\.weight$/.test(name);
        feeds[name] = { dims, data: isScale ? uniform(rand, size, 0.5, 1.5) : uniform(rand, size, -1, 1) };
      }
      const session = await OnnxSession.create(model);
      const out = await session.run(feeds);
      let checked = 0;
      let kinked = 0;
      for (const name of Object.keys(shapes).filter((k) => k !== 'target')) {
        const grad = out[`grad:${name}`]!;
        expect(grad.dims, name).toEqual(shapes[name]);
        // ReLU and max-pool have kinks; a central difference whose step crosses one is not the derivative. Such
        // elements show up as a central difference that changes with the step; they are left out (and counted).
        const coarse = await finiteDifferences(session, feeds, name, 1e-2);
        const fine = await finiteDifferences(session, feeds, name, 5e-3);
        const scale = Math.max(...coarse.map(Math.abs));
        const smooth = [...coarse.keys()].filter((i) => Math.abs(coarse[i]! - fine[i]!) <= 1e-3 * scale);
        checked += coarse.length;
        kinked += coarse.length - smooth.length;
        expect(relErr(smooth.map((i) => grad.data[i]!), smooth.map((i) => coarse[i]!)), name).toBeLessThan(2e-3);
      }
      expect(kinked, 'elements left out as kinks').toBeLessThanOrEqual(checked * 0.05);
      await session.release();
    });
  }
});
