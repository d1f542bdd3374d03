import { describe, expect, it } from 'vitest';
import { SpecError } from './errors.js';
import { parseSpec } from './spec.js';

function issuesOf(json: unknown): string[] {
  try {
    parseSpec(json);
  } catch (e) {
    expect(e).toBeInstanceOf(SpecError);
    return (e as SpecError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('expected a SpecError');
}

describe('parseSpec', () => {
  it('fills the defaults of a residual spec', () => {
    const spec = parseSpec({ kind: 'residual', inputSize: 5, outputSize: 3, width: 12, depth: 6 });
    expect(spec).toEqual({
      specVersion: 1, kind: 'residual', variant: 'dense', inputSize: 5, outputSize: 3, width: 12, depth: 6,
      block: { layers: 1, activation: 'relu', skip: 'identity' },
    });
  });

  it('accepts the recurrent example of DESIGN.md', () => {
    const spec = parseSpec({ kind: 'recurrent', cell: 'lstm', inputSize: 3, hiddenSize: 7, numLayers: 2, outputSize: 2 });
    expect(spec).toMatchObject({ specVersion: 1, cell: 'lstm', numLayers: 2 });
  });

  it('names the path and the allowed values of a misspelt activation', () => {
    const issues = issuesOf({ kind: 'residual', inputSize: 5, outputSize: 3, width: 12, depth: 6, block: { activation: 'rleu' } });
    expect(issues).toEqual(['block.activation: expected one of relu|tanh|sigmoid|leakyRelu|gelu|linear, got "rleu"']);
  });

  it('lists every problem at once, unknown fields included', () => {
    const issues = issuesOf({ kind: 'recurrent', cell: 'lstn', inputSize: 0, hiddenSize: 'x', outputSize: 2, extra: 1 });
    expect(issues).toEqual(
      expect.arrayContaining([
        'cell: expected one of lstm|gru|rnn, got "lstn"',
        'inputSize: must be >= 1, got 0',
        'hiddenSize: expected number, got "x"',
        'extra: unknown field',
      ]),
    );
    expect(issues).toHaveLength(4);
  });

  it('rejects an unknown kind, a wrong specVersion and a missing field', () => {
    expect(issuesOf({ kind: 'transformer' })).toEqual(['kind: expected one of residual|recurrent, got "transformer"']);
    expect(issuesOf({ specVersion: 2, kind: 'recurrent', cell: 'gru', inputSize: 1, hiddenSize: 2 })).toEqual([
      'specVersion: expected one of 1, got 2',
      'outputSize: required number is missing',
    ]);
  });

  it('keeps room for the convolutional variant with a clear message', () => {
    expect(issuesOf({ kind: 'residual', variant: 'conv' })[0]).toMatch(/variant: the convolutional variant "conv" is not available yet/);
  });
});
