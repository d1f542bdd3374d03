import { describe, expect, it } from 'vitest';
import { degradationSummary, DEGRADATION_MARGIN } from './degradation.js';
import type { MnistRun } from './results.js';

/** A run whose training loss is `start` for the first half of its steps and `end` for the rest. */
function run(architecture: 'plain' | 'residual', depth: number, end: number): MnistRun {
  const loss = [...new Array<number>(50).fill(2.3), ...new Array<number>(50).fill(end)];
  return { backend: 'onnx', architecture, depth, spec: { kind: 'residual' } as MnistRun['spec'], blockNorms: [], loss, test: [{ step: 100, error: 0.1, loss: end }] };
}

describe("He et al.'s degradation verdict", () => {
  it('compares the deepest net with the shallowest over the last 20% of steps and states both ends and every depth', () => {
    // the full run's shape: plain-20 is better than plain-8, but plain-32 ends worst; the ResNet improves with depth
    const s = degradationSummary([run('plain', 8, 0.324), run('plain', 20, 0.219), run('plain', 32, 0.366), run('residual', 8, 0.318), run('residual', 20, 0.188), run('residual', 32, 0.19)]);
    expect(s.window).toBe(20);
    expect(s.rows.map((r) => [r.architecture, r.worseWithDepth])).toEqual([['plain', true], ['residual', false]]);
    expect(s.verdicts).toEqual([
      {
        backend: 'onnx',
        text:
          'onnx: degradation shown — the deepest plain net ends with a higher training loss than the shallowest (32 vs 8 layers: 0.366 vs 0.324, +13%) ' +
          'while the deepest residual net does not (32 vs 8 layers: 0.19 vs 0.318, -40%); mean loss of the last 20 steps by depth: plain 8: 0.324, 20: 0.219, 32: 0.366; residual 8: 0.318, 20: 0.188, 32: 0.19.',
      },
    ]);
  });

  it(`says "not shown" when the deepest plain net is within ${DEGRADATION_MARGIN * 100}% of the shallowest`, () => {
    const s = degradationSummary([run('plain', 8, 0.5), run('plain', 32, 0.52), run('residual', 8, 0.5), run('residual', 32, 0.4)]);
    expect(s.verdicts[0]!.text).toMatch(/^onnx: degradation not shown under this budget — the deepest plain net does not end worse than the shallowest \(32 vs 8 layers: 0\.52 vs 0\.5, \+4%\)/);
  });
});
