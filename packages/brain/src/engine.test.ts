import { describe, expect, it } from 'vitest';
import { BrainEquation, createMatrix, GradEquation, type Matrix } from './engine.js';

const matrix = (rows: number, columns: number, values: number[]): Matrix => {
  const m = createMatrix(rows, columns);
  m.weights.set(values);
  return m;
};

describe('GradEquation', () => {
  it("accumulates where brain.js's own Equation assigns: x feeding two ops gets both gradients", () => {
    const run = (eq: InstanceType<typeof BrainEquation>): number[] => {
      const x = matrix(2, 1, [0.5, -1]);
      const w = matrix(2, 2, [1, 2, 3, 4]);
      // y = tanh(x) + W x: dy/dx = (1 - tanh(x)^2) + W^T 1
      const y = eq.add(eq.tanh(x), eq.multiply(w, x));
      eq.runIndex(0);
      y.deltas.fill(1);
      x.deltas.fill(0);
      eq.backpropagate();
      return Array.from(x.deltas);
    };
    const expected = [1 - Math.tanh(0.5) ** 2 + 4, 1 - Math.tanh(-1) ** 2 + 6];
    const ours = run(new GradEquation());
    ours.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
    // brain.js: tanh's backprop runs last and overwrites the multiply's share
    const stock = run(new BrainEquation());
    stock.forEach((v, i) => expect(v).toBeCloseTo(1 - Math.tanh([0.5, -1][i]!) ** 2, 5));
  });

  it('broadcasts a bias over the batch columns and sums its gradient over them', () => {
    const eq = new GradEquation();
    const m = matrix(2, 3, [1, 2, 3, 4, 5, 6]);
    const b = matrix(2, 1, [10, 20]);
    const y = eq.addBias(m, b);
    eq.forward();
    expect(Array.from(y.weights)).toEqual([11, 12, 13, 24, 25, 26]);
    eq.backward(y, (d) => d.set([1, 2, 3, 4, 5, 6]));
    expect(Array.from(b.deltas)).toEqual([6, 15]);
    expect(Array.from(m.deltas)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('subtracts (brain.js subtract is 1 - left + right) and applies leaky ReLU with slope 0.01', () => {
    const eq = new GradEquation();
    const l = matrix(1, 3, [3, -2, 0.5]);
    const r = matrix(1, 3, [1, 1, 1]);
    const y = eq.leakyRelu(eq.subtract(l, r));
    eq.forward();
    expect(Array.from(y.weights).map((v) => +v.toFixed(6))).toEqual([2, -0.03, -0.005]);
    eq.backward(y, (d) => d.fill(1));
    expect(Array.from(l.deltas).map((v) => +v.toFixed(6))).toEqual([1, 0.01, 0.01]);
    expect(Array.from(r.deltas).map((v) => +v.toFixed(6))).toEqual([-1, -0.01, -0.01]);
  });

  it('zeroes every delta before a backward pass, so repeated passes do not add up', () => {
    const eq = new GradEquation();
    const x = matrix(2, 1, [1, 2]);
    const b = matrix(2, 1, [0, 0]);
    const y = eq.sigmoid(eq.addBias(x, b));
    eq.forward();
    eq.backward(y, (d) => d.fill(1));
    const first = Array.from(b.deltas);
    eq.forward();
    eq.backward(y, (d) => d.fill(1));
    expect(Array.from(b.deltas)).toEqual(first);
  });
});
