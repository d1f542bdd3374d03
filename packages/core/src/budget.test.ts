import { describe, expect, it } from 'vitest';
import { checkModelBudget, DEFAULT_MAX_PARAMETERS, estimateModelSize, UNLIMITED_BUDGET } from './budget.js';
import { SpecError } from './errors.js';
import { paramCount } from './params.js';
import { parseModelSpec, type ModelSpec } from './spec.js';

function refusal(parse: () => unknown): SpecError {
  try {
    parse();
  } catch (e) {
    expect(e).toBeInstanceOf(SpecError);
    return e as SpecError;
  }
  throw new Error('expected a SpecError');
}

// the 76-byte spec file of issue #19 that grew past 7 GB RSS
const WIDE = '{"kind":"residual","inputSize":1,"outputSize":1,"width":65536,"depth":1024}\n';

describe('model-size budget at parse time', () => {
  it('refuses the 76-byte spec (width 65536, depth 1024) in milliseconds, naming width, the estimate and the limit', () => {
    expect(WIDE.length).toBe(76);
    const start = performance.now();
    const err = refusal(() => parseModelSpec(JSON.parse(WIDE)));
    expect(performance.now() - start).toBeLessThan(500);
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]!.path).toBe('width');
    expect(err.message).toContain('4,398,113,816,577 parameters');
    expect(err.message).toContain('width 65536 x width 65536 x depth 1024');
    expect(err.message).toContain('limit of 50,000,000');
    expect(err.message).toContain('maxParameters');
  });

  it('refuses an LSTM with hidden 65536 x 64 layers at hiddenSize', () => {
    const err = refusal(() => parseModelSpec({ kind: 'recurrent', cell: 'lstm', inputSize: 1, hiddenSize: 65536, numLayers: 64, outputSize: 1 }));
    expect(err.issues.map((i) => i.path)).toEqual(['hiddenSize']);
    expect(err.message).toMatch(/2,181,877,268,481 parameters .*numLayers 64/);
  });

  it('refuses 1024 blocks x 64 layers of width 2 (393k parameters) by its 65,536 layers, at depth', () => {
    const json = { kind: 'residual', inputSize: 2, outputSize: 2, width: 2, depth: 1024, block: { layers: 64 } };
    const err = refusal(() => parseModelSpec(json));
    expect(err.issues.map((i) => i.path)).toEqual(['depth']);
    expect(err.message).toContain('65,536 layers in sequence (depth 1024 x block.layers 64), over the limit of 4,096');
    expect(err.message).toContain('maxLayers');
    expect(parseModelSpec(json, { maxLayers: 70_000 })).toMatchObject({ depth: 1024 });
    expect(estimateModelSize(parseModelSpec({ kind: 'residual', variant: 'conv', preset: 'resnet56' })).layers).toBe(54);
    expect(() => parseModelSpec({ ...json, block: { layers: 4 } })).not.toThrow(); // 4096: the limit itself
  });

  it('refuses a small conv net on a 65536x65536 image by its activations, at inputSize', () => {
    const err = refusal(() => parseModelSpec({ kind: 'residual', variant: 'conv', inputChannels: 3, inputSize: 65536, outputSize: 1, stem: 'cifar', stages: [{ blocks: 1, channels: 16 }] }));
    expect(err.issues.map((i) => i.path)).toEqual(['inputSize']);
    expect(err.message).toMatch(/activations .* 2\.30 TiB for one example .*limit of 2\.00 GiB.*maxActivationBytes/);
  });

  it('lets an explicit budget through, and UNLIMITED_BUDGET turns it off', () => {
    const json = { kind: 'residual', inputSize: 4, outputSize: 1, width: 4096, depth: 4 };
    expect(() => parseModelSpec(json)).toThrow(/67,149,825 parameters/);
    expect(parseModelSpec(json, { maxParameters: 70_000_000 })).toMatchObject({ width: 4096 });
    expect(parseModelSpec(JSON.parse(WIDE), UNLIMITED_BUDGET)).toMatchObject({ width: 65536 });
    expect(() => parseModelSpec({ ...json, width: 8 }, { maxParameters: 100 })).toThrow(/parameters .*limit of 100;/);
  });

  it('accepts every preset, resnet34 included, under the default budget', () => {
    for (const preset of ['resnet20', 'resnet32', 'resnet56', 'resnet18', 'resnet34']) {
      const spec = parseModelSpec({ kind: 'residual', variant: 'conv', preset });
      expect(estimateModelSize(spec).parameters).toBeLessThan(DEFAULT_MAX_PARAMETERS);
    }
  });

  it('counts parameters exactly as paramShapes does, for every family', () => {
    const specs: ModelSpec[] = [
      parseModelSpec({ kind: 'residual', inputSize: 3, outputSize: 2, width: 7, depth: 3, block: { layers: 2, skip: 'none' } }),
      parseModelSpec({ kind: 'residual', inputSize: 2, outputSize: 2, width: 2, depth: 1024, block: { layers: 64 } }, UNLIMITED_BUDGET),
      ...(['lstm', 'gru', 'rnn'] as const).map((cell) => parseModelSpec({ kind: 'recurrent', cell, inputSize: 3, hiddenSize: 7, numLayers: 3, outputSize: 2 })),
      parseModelSpec({ kind: 'residual', variant: 'conv', preset: 'resnet18' }),
    ];
    for (const spec of specs) expect(estimateModelSize(spec).parameters).toBe(paramCount(spec));
  });

  it('scales recurrent activations by layers x hidden x T x batch once they are known', () => {
    const spec = parseModelSpec({ kind: 'recurrent', cell: 'lstm', inputSize: 2, hiddenSize: 256, numLayers: 64, outputSize: 1 });
    const one = estimateModelSize(spec).activationBytes;
    expect(estimateModelSize(spec, { batch: 32, timesteps: 1000 }).activationBytes).toBe(one * 32_000);
    expect(() => checkModelBudget(spec, {}, { batch: 32, timesteps: 100 })).not.toThrow(); // 1.2 GiB
    const err = refusal(() => checkModelBudget(spec, {}, { batch: 32, timesteps: 1000 }, 'spec "lstm.json"'));
    expect(err.message).toMatch(/^invalid spec "lstm.json": 1 problem\n {2}- hiddenSize: .* 11\.7 GiB .*numLayers 64 x hiddenSize 256 x 6 \(gates and state\) x T 1000 x batch 32/);
  });
});
