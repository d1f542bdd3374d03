import fc from 'fast-check';
import { createRng, initParams, tensor, type Backend, type Batch, type CellType, type LossName, type NetworkSpec } from '@gradscope/core';
import { compareGradients } from './agreement.js';
import { withModel } from './models.js';
import { CheckLog, describeError, runCheck, type CheckResult } from './result.js';
import { CONFORMANCE_TOLERANCES } from './tolerances.js';

/** The networks the sweep draws: dense nets (plain and residual) or one recurrent cell type. */
export type SweepFamily = 'residual' | CellType;

/** Fixed so every run of the suite draws the same networks; a failure prints its counterexample. */
export const SWEEP_SEED = 20_261_127;
/** Networks per family: enough to vary depth, width, T and loss, cheap enough for a 2-core CI machine. */
export const SWEEP_RUNS = 8;

export interface SweepCase {
  readonly spec: NetworkSpec;
  /** Seed of `initParams` (PyTorch's default init scale) and of the batch. */
  readonly seed: number;
  readonly batch: number;
  /** Sequence length T (recurrent); 0 for dense nets. */
  readonly steps: number;
  readonly loss: LossName;
}

const size = (min: number, max: number): fc.Arbitrary<number> => fc.integer({ min, max });

/**
 * Networks within the backend's manifest: depth <= 12, T <= 12, small widths, both losses where declared. Outputs,
 * batches and widths have at least 2 units: a single-element tensor that happens to cancel to ~1e-3 would hold a
 * float32 backend to float64 precision under the relative-error metric.
 */
export function sweepCases(family: SweepFamily, supports: Backend['supports']): fc.Arbitrary<SweepCase> {
  const common = { inputSize: size(1, 5), outputSize: size(2, 4), batch: size(2, 4), loss: fc.constantFrom(...supports.losses), seed: fc.nat() };
  if (family === 'residual') {
    return fc
      .record({ ...common, depth: size(0, 12), layers: size(1, 2), width: size(2, 8), activation: fc.constantFrom(...supports.residual.activations), skip: fc.constantFrom('identity' as const, 'none' as const) })
      .map((r) => ({
        spec: { specVersion: 1, kind: 'residual', variant: 'dense', inputSize: r.inputSize, outputSize: r.outputSize, width: r.width, depth: r.depth, block: { layers: r.layers, activation: r.activation, skip: r.skip } },
        seed: r.seed,
        batch: r.batch,
        steps: 0,
        loss: r.loss,
      }));
  }
  return fc.record({ ...common, numLayers: size(1, 3), hiddenSize: size(2, 8), steps: size(1, 12) }).map((r) => ({
    spec: { specVersion: 1, kind: 'recurrent', cell: family, inputSize: r.inputSize, hiddenSize: r.hiddenSize, numLayers: r.numLayers, outputSize: r.outputSize },
    seed: r.seed,
    batch: r.batch,
    steps: r.steps,
    loss: r.loss,
  }));
}

/** A seeded generator for the batch values (the weights come from core's initParams). */
function uniform(seed: number): () => number {
  const rng = createRng(seed);
  return () => rng.uniform(0, 1);
}

/** Inputs in [-1, 1), mse targets in [-1, 1) or class labels, all float32. */
export function sweepBatch(c: SweepCase): Batch {
  const next = uniform(c.seed ^ 0x5bd1e995);
  const values = (n: number): Float32Array => Float32Array.from({ length: n }, () => 2 * next() - 1);
  const { spec } = c;
  const inputShape = spec.kind === 'residual' ? [c.batch, spec.inputSize] : [c.batch, c.steps, spec.inputSize];
  const input = tensor(inputShape, values(inputShape.reduce((n, d) => n * d, 1)));
  const target =
    c.loss === 'mse'
      ? tensor([c.batch, spec.outputSize], values(c.batch * spec.outputSize))
      : tensor([c.batch], Float32Array.from({ length: c.batch }, () => Math.floor(next() * spec.outputSize)));
  return { input, target };
}

/**
 * A bounded property-based sweep: networks drawn by fast-check (fixed seed, SWEEP_RUNS runs, no shrinking), weights
 * from `initParams`, and the backend's `computeGradients` compared with the reference's at the contract tolerances.
 */
export function checkSweepAgainstReference(backend: Backend, reference: Backend, family: SweepFamily, numRuns = SWEEP_RUNS, seed = SWEEP_SEED): Promise<CheckResult> {
  const tol = CONFORMANCE_TOLERANCES;
  return runCheck(async (log) => {
    const property = fc.asyncProperty(sweepCases(family, backend.supports), async (c) => {
      const params = initParams(c.spec, { seed: c.seed });
      const batch = sweepBatch(c);
      const expected = await withModel(reference, c.spec, params, (m) => m.computeGradients(batch, c.loss));
      const actual = await withModel(backend, c.spec, params, (m) => m.computeGradients(batch, c.loss));
      const caseLog = new CheckLog();
      compareGradients(caseLog, actual, expected, backend.supports, tol);
      if (caseLog.failed) throw new Error(caseLog.result().failures.join('; '));
    });
    const details = await fc.check(property, { seed, numRuns, endOnFailure: true });
    if (details.failed) {
      const [c] = details.counterexample ?? [];
      const what = c ? `${JSON.stringify(c.spec)} seed ${c.seed} batch ${c.batch}${c.steps ? ` T=${c.steps}` : ''} ${c.loss}` : 'unknown case';
      log.fail(`run ${details.numRuns} of ${numRuns} (fast-check seed ${seed}): ${what}: ${describeError(details.errorInstance)}`);
    } else log.note(`${details.numRuns} networks agreed (fast-check seed ${seed})`);
  });
}
