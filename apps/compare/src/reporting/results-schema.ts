import { z } from 'zod';
import { activations, cellTypes, clipSpecSchema, initSchemes, optimizerSpecSchema, toIssues, type Issue, type ModelSpec } from '@gradscope/core';
import type { CompareResults } from '../compare/results.js';
import { suiteNames, type SuiteSettings } from '../compare/suites.js';
import { experiments } from '../compare/workloads.js';

/**
 * What `gradscope report` accepts as a results.json: every field the report reads, with its type, so a file someone
 * sent cannot crash the renderer (`text.replace is not a function`) or smuggle markup in through a number field.
 * Objects are loose (unknown fields are kept, so a newer file round-trips); fields that `gradscope compare` added in
 * later versions are optional and filled in by the report command.
 */

/** A number as `stringifyJson` writes it: non-finite values are the strings "NaN", "Infinity" and "-Infinity". */
const nonFinite = new Set(['NaN', 'Infinity', '-Infinity']);
// z.number() refuses NaN and ±Infinity, which a diverged run legitimately records
const anyNumber = z.custom<number>((v) => typeof v === 'number', {
  error: (issue) => (issue.input === undefined ? 'required number is missing' : `expected number, got ${JSON.stringify(issue.input)?.slice(0, 40)}`),
});
const num = z.preprocess((v) => (typeof v === 'string' && nonFinite.has(v) ? Number(v) : v), anyNumber);
const nums = z.array(num);
const int = z.number().int();
const str = z.string();
const obj = z.looseObject;
const architecture = z.enum(['plain', 'residual']);
const activation = z.enum(activations);
/** Specs are only shown, never rebuilt, so their inner fields are not checked here. */
const spec = z.custom<ModelSpec>((v) => typeof v === 'object' && v !== null && typeof (v as { kind?: unknown }).kind === 'string', 'expected a spec object with a "kind"');
const blockNorms = z.array(obj({ step: int, norms: nums }));

const depthRun = obj({ backend: str, architecture, activation, depth: int, spec, blockNorms, deadUnitFractions: nums.optional(), loss: nums });
const timeRun = obj({
  backend: str,
  cell: z.enum(cellTypes),
  forgetGate: str.optional(),
  label: str,
  T: int,
  seed: int.optional(),
  spec,
  hiddenGradNorms: z.array(nums),
  cellGradNorms: z.array(nums).optional(),
  inputGradNorms: nums.optional(),
  gradSnapshots: z.array(obj({ step: int, hidden: nums, cell: nums.optional() })).optional(),
  loss: nums,
  testMse: num,
  testMseCurve: z.array(obj({ step: int, mse: num })).optional(),
});
const mnistRun = obj({
  backend: str,
  architecture,
  depth: int,
  spec,
  blockNorms,
  deadUnitFractions: nums.optional(),
  loss: nums,
  test: z.array(obj({ step: int, error: num, loss: num })),
});
const initCureRun = obj({ backend: str, scheme: z.enum(initSchemes), activation, depth: int, blockNorms: nums, loss: nums, nonFiniteAt: int.optional() });
const clipCureRun = obj({ backend: str, clip: str, gradNorm: nums, loss: nums, nonFiniteAt: int.optional() });
const agreementRow = obj({
  spec: str,
  backend: str,
  output: num,
  grads: num,
  worstParam: str,
  norms: num,
  pass: z.boolean(),
  underflow: int.optional(),
  spread: obj({ output: num, grads: num, norms: num }).optional(),
  withinFloat32Spread: z.boolean().optional(),
});
const verdict = obj({
  claim: str,
  experiment: z.enum(experiments),
  shown: z.boolean(),
  backends: z.array(obj({ backend: str, shown: z.boolean(), numbers: nums })),
  text: str,
});

// Suite settings changed shape between versions (time.cells became time.variants): the fields the report prints are
// typed where present.
const optimizer = optimizerSpecSchema.optional();
const suite = obj({
  name: z.enum([...suiteNames, 'web']), // 'web': results downloaded from the browser page (apps/web)
  depth: obj({ depths: z.array(int).optional(), width: int.optional(), batch: int.optional(), steps: int.optional(), optimizer }),
  time: obj({ hiddenSize: int.optional(), batch: int.optional(), steps: int.optional(), seeds: int.optional(), optimizer, clip: clipSpecSchema.optional() }),
  mnist: obj({ depths: z.array(int).optional(), imageSize: int.optional(), batch: int.optional(), steps: int.optional(), testSize: int.optional(), optimizer }),
  cures: obj({}).optional(),
  // older files lack settings of later versions (as before this check, the report prints what is there)
}).transform((settings) => settings as unknown as SuiteSettings);

const shape = {
  gradscopeCompareVersion: str,
  suite,
  experiments: z.array(z.enum(experiments)).optional(),
  only: str.optional(),
  seed: int.min(0),
  startedAt: str,
  durationMs: num,
  machine: obj({ os: str, arch: str, cpuModel: str, cores: int, node: str }),
  backends: z.array(obj({ name: str, runtime: obj({ name: str, version: str, device: str }), semantics: str })),
  depth: obj({ runs: z.array(depthRun) }),
  time: obj({ baselineMse: num, runs: z.array(timeRun) }),
  mnist: obj({
    runs: z.array(mnistRun),
    degradation: obj({
      window: int,
      margin: num,
      rows: z.array(obj({ backend: str, architecture, depths: z.array(int), finalLoss: nums, finalTestError: nums, worseWithDepth: z.boolean() })),
      verdicts: z.array(obj({ backend: str, text: str })),
    }),
  }),
  cures: obj({ init: z.array(initCureRun), clipping: z.array(clipCureRun) }).optional(),
  agreement: obj({ tolerances: obj({ output: num, grads: num, norms: num }), rows: z.array(agreementRow) }),
  verdicts: z.array(verdict).optional(),
  workers: int.optional(),
  speed: obj({ rows: z.array(obj({ backend: str, workload: str, medianStepMs: num, steps: int })) }),
  skipped: z.array(obj({ backend: str, experiment: z.enum(experiments), workload: str, kind: z.enum(['unsupported', 'failed']), reason: str })),
} satisfies Record<keyof CompareResults, z.ZodType>;

const resultsSchema = z.looseObject(shape);

/** A parsed results.json in the shape the report reads; fields of later versions may still be missing. */
export type StoredResults = z.output<typeof resultsSchema>;

/** Validates a parsed results.json: the typed value, or every problem with its JSON path. */
export function checkResults(value: unknown): { ok: true; results: StoredResults } | { ok: false; issues: Issue[] } {
  const parsed = resultsSchema.safeParse(value, { reportInput: true });
  return parsed.success ? { ok: true, results: parsed.data } : { ok: false, issues: toIssues(parsed.error) };
}
