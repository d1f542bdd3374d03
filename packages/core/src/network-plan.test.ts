import { describe, expect, it } from 'vitest';
import { countDeadUnits, planResidual, runResidualPlan, type ResidualPrimitives } from './network-plan.js';
import { parseSpec, type ResidualSpec } from './spec.js';

// Primitives on strings: the run spells out the network it builds, so the plan's order is visible in the test.
const symbolic: ResidualPrimitives<string> = {
  linear: (x, name) => `${name}(${x})`,
  activate: (x, a) => `${a}(${x})`,
  sum: (terms) => terms.join(' + '),
};

describe('planResidual + runResidualPlan', () => {
  const spec = (skip: 'identity' | 'none'): ResidualSpec =>
    parseSpec({ kind: 'residual', inputSize: 2, outputSize: 1, width: 3, depth: 2, block: { layers: 2, activation: 'tanh', skip } }) as ResidualSpec;

  it('runs stem, blocks (PyTorch parameter names, skip, probe points) and head in order', () => {
    const run = runResidualPlan(planResidual(spec('identity')), symbolic, 'x');
    const h0 = 'tanh(stem(x))';
    const f0 = `tanh(blocks.0.1(tanh(blocks.0.0(${h0}))))`;
    expect(run.blockActivations[0]).toEqual([`tanh(blocks.0.0(${h0}))`, f0]);
    expect(run.blockOutputs[0]).toBe(`${h0} + ${f0}`);
    expect(run.output).toBe(`head(${run.blockOutputs[1]})`);
  });

  it('a plain net has no skip; probes are added to each block output', () => {
    const plain = runResidualPlan(planResidual(spec('none')), symbolic, 'x');
    expect(plain.blockOutputs[0]).toBe('tanh(blocks.0.1(tanh(blocks.0.0(tanh(stem(x))))))');
    const probed = runResidualPlan(planResidual(spec('none')), symbolic, 'x', ['p0', 'p1']);
    expect(probed.blockOutputs[0]).toBe(`${plain.blockOutputs[0]} + p0`);
  });
});

describe('countDeadUnits', () => {
  it('counts the units that are zero for every example, in any layout', () => {
    const rows = [0, 1, 0, 0, 0, 2]; // [batch 2, units 3]: unit 0 is dead; unit 1 is alive in example 0; unit 2 in example 1
    expect(countDeadUnits(2, 3, (b, u) => rows[b * 3 + u]!)).toBe(1);
    expect(countDeadUnits(3, 2, (b, u) => rows[u * 3 + b]!)).toBe(0);
  });
});
