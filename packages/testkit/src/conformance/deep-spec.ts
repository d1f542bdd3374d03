import { describe, expect, it } from 'vitest';
import { initParams, parseModelSpec, type Backend } from '@gradscope/core';

/** 1024 residual blocks of width 2: small in parameters, deep enough to overflow any walk that recurses per layer. */
const deep = (layers: number) => ({ kind: 'residual', inputSize: 2, outputSize: 2, width: 2, depth: 1024, block: { layers, activation: 'tanh' } });
const batch = { input: { shape: [4, 2], data: new Float32Array(8).fill(0.5) }, target: { shape: [4, 2], data: new Float32Array(8) } };

export interface DeepSpecOptions {
  /** Only the forward pass (a backend whose gradient graph takes too long to compile at this depth). */
  readonly forwardOnly?: boolean;
}

/**
 * A deep-but-small spec at the layer budget's limit (1024 × 4 = 4096 layers) builds and gives finite numbers on a
 * backend: no recursion whose depth grows with the spec. The budget's refusal of 1024 × 64 is core's own test.
 */
export function describeDeepSpec(name: string, create: () => Backend | Promise<Backend>, options: DeepSpecOptions = {}): void {
  describe(`deep but small specs on ${name}`, () => {
    it(
      options.forwardOnly
        ? '1024 blocks of width 2 run forward to a finite output'
        : '1024 blocks x 4 layers (the budget limit, 4096 layers) give finite gradients for every block',
      async () => {
        const spec = parseModelSpec(deep(options.forwardOnly ? 1 : 4));
        const backend = await create();
        try {
          const model = await backend.createModel(spec, initParams(spec, { seed: 0 }));
          if (options.forwardOnly) {
            const out = await model.forward(batch.input);
            expect(out.shape).toEqual([4, 2]);
            expect(out.data.every(Number.isFinite)).toBe(true);
          } else {
            const r = await model.computeGradients(batch, 'mse');
            expect(Number.isFinite(r.loss)).toBe(true);
            expect(r.blockOutputGradNorms).toHaveLength(1024);
            expect(r.blockOutputGradNorms!.every(Number.isFinite)).toBe(true);
          }
          await model.dispose();
        } finally {
          await backend.dispose();
        }
      },
      120_000,
    );
  });
}
