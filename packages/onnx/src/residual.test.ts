import { activations, type Activation } from '@gradscope/core';
import { describe, expect, it } from 'vitest';
import { Graph } from './graph.js';
import { applyActivation } from './residual.js';
import { OnnxSession } from './session.js';

/** erf by its Taylor series, accurate to ~1e-9 on [-4, 4] in float64 (independent of the code under test). */
function erf(x: number): number {
  let term = x;
  let sum = x;
  for (let n = 1; n < 80; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

const definitions: Record<Activation, (x: number) => number> = {
  relu: (x) => Math.max(0, x),
  tanh: Math.tanh,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  leakyRelu: (x) => (x > 0 ? x : 0.01 * x), // PyTorch's slope, not tfjs's 0.2
  gelu: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)), // exact erf form, not the tanh approximation
  linear: (x) => x,
};

describe('activations as ONNX ops', () => {
  const x = Float32Array.from({ length: 81 }, (_, i) => -4 + i / 10);
  for (const activation of activations) {
    it(`${activation} matches its definition within float32 resolution`, async () => {
      const g = new Graph(activation);
      const input = g.input('x', [x.length]);
      const out = applyActivation(g, activation, input);
      g.output(out === input ? g.rename(g.op1('Identity', [input]), 'y') : g.rename(out, 'y'));
      const session = await OnnxSession.create(g.toModel());
      const y = (await session.run({ x: { dims: [x.length], data: x } })).y!.data;
      x.forEach((v, i) => expect(Math.abs(y[i]! - definitions[activation](v)), `${activation}(${v})`).toBeLessThan(5e-7));
      await session.release();
    });
  }
});
