import { NotSupportedError, initParams, parseModelSpec } from '@gradscope/core';
import * as brain from 'brain.js';
import { describe, expect, it } from 'vitest';
import { createBrainBackend } from './backend.js';

// Why the brain backend declares no conv ResNets (README "Convolutional ResNets"), checked against brain.js itself.
describe("brain.js's layer API cannot express a BasicBlock as PyTorch computes it", () => {
  it('has Convolution and Pool layers but no batch normalization and no average pooling', () => {
    const layers = Object.keys(brain.layer);
    expect(layers).toEqual(expect.arrayContaining(['Convolution', 'Pool', 'Add', 'Relu', 'FullyConnected']));
    expect(layers.filter((name) => /norm|avg|average|mean|global/i.test(name))).toEqual([]);
  });

  it("Add assigns its deltas to its inputs, so a layer feeding both the shortcut and the block keeps only one path's gradient", () => {
    const x = brain.layer.input({ width: 2, height: 1 });
    const other = brain.layer.input({ width: 2, height: 1 });
    const add = brain.layer.add(x, other);
    x.deltas = [Float32Array.from([5, 5])]; // what the block path already put there
    add.deltas = [Float32Array.from([1, 2])];
    add.compare();
    expect(Array.from(x.deltas[0] as Float32Array)).toEqual([1, 2]); // a sum would be [6, 7]
  });

  it('so createModel on a conv spec is a NotSupportedError naming the missing feature', async () => {
    const spec = parseModelSpec({ kind: 'residual', variant: 'conv', inputChannels: 1, inputSize: 8, outputSize: 2, stem: 'cifar', stages: [{ blocks: 1, channels: 2 }] });
    const backend = createBrainBackend();
    expect(backend.supports.residual.variants).not.toContain('conv');
    await expect(backend.createModel(spec, initParams(spec, { seed: 0 }))).rejects.toThrow(NotSupportedError);
    await expect(backend.createModel(spec, initParams(spec, { seed: 0 }))).rejects.toThrow(/residual variant "conv"/);
    await backend.dispose();
  });
});
