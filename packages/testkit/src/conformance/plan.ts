import type { Backend, Batch, LossName, NetworkSpec, ParamSet, Supports } from '@gradscope/core';
import { loadGoldenCases, loadTrainingTrajectories } from '../goldens/load.js';
import type { GoldenCase } from '../goldens/types.js';
import { createReferenceBackend } from '../reference/backend.js';
import { checkCheckpointResume } from './checkpoint-checks.js';
import { checkBackendDispose, checkResourcesReleased, checkUseAfterDispose } from './dispose-checks.js';
import { firstGap, lossGap, normFieldsOf, reportGap, semanticsGap, specGap, trainingGap } from './gating.js';
import { loadConvGoldens, loadConvTrajectories } from '../goldens/conv.js';
import { checkConvContract, checkConvGoldenCase, checkConvTrajectory } from './conv-golden-checks.js';
import { checkGoldenCase, checkTrajectory } from './golden-checks.js';
import { withBackend, type BackendFactory } from './models.js';
import { checkNotSupported, undeclaredFeatures } from './not-supported-checks.js';
import { checkOptions, type ConformanceOptions } from './options.js';
import { checkParamsRoundTrip, checkSetParams, checkSetParamsRejects } from './params-checks.js';
import type { CheckResult, ConformanceCheck, ConformanceSection, SectionId } from './result.js';
import { checkInputShapes } from './shape-checks.js';
import { checkSweepAgainstReference, type SweepFamily } from './sweep-checks.js';
import { checkNonFiniteStep, checkTrainingConfigErrors } from './training-checks.js';

/** A supported network with weights and a batch, taken from the goldens, for the contract checks. */
interface ContractModel {
  readonly label: 'residual' | 'recurrent';
  readonly spec: NetworkSpec;
  readonly params: ParamSet;
  readonly batch: Batch;
  readonly loss: LossName;
}

function contractModels(goldens: readonly GoldenCase[], supports: Supports): ContractModel[] {
  const pick = (kind: 'residual' | 'recurrent', prefer: (c: GoldenCase) => boolean): ContractModel[] => {
    const usable = goldens.filter((c) => c.spec.kind === kind && c.file !== 'keras-lstm' && !specGap(supports, c.spec) && !lossGap(supports, c.loss));
    const c = usable.find(prefer) ?? usable[0];
    return c ? [{ label: kind, spec: c.spec, params: c.params, batch: c.batch, loss: c.loss }] : [];
  };
  return [
    ...pick('residual', (c) => c.spec.kind === 'residual' && c.spec.depth === 4 && c.spec.block.skip === 'identity'),
    ...pick('recurrent', (c) => c.batch.input.shape[1] === 5 && c.spec.kind === 'recurrent' && c.spec.numLayers === 2),
  ];
}

const check = (title: string, run: (backend: Backend) => Promise<CheckResult>, factory: BackendFactory, skip?: string): ConformanceCheck => ({
  title,
  ...(skip !== undefined && { skip }),
  run: () => withBackend(factory, run),
});

function goldenSections(factory: BackendFactory, supports: Supports, goldens: readonly GoldenCase[]): ConformanceSection[] {
  const groups = new Map<string, GoldenCase[]>();
  for (const c of goldens) {
    const key = c.file === 'keras-lstm' ? 'keras lstm' : c.spec.kind === 'residual' ? `residual ${c.spec.block.activation}` : c.spec.cell;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  return [...groups].map(([key, cases]) => {
    const spec = cases[0]!.spec;
    const reportSkips = normFieldsOf(spec).flatMap((field) => {
      const gap = reportGap(supports, field);
      return gap ? [{ title: field, skip: gap, run: async (): Promise<CheckResult> => ({ pass: true, failures: [], notes: [] }) }] : [];
    });
    const skip = firstGap(semanticsGap(supports), specGap(supports, spec));
    return {
      id: 'goldens' as const,
      title: `${key} goldens`,
      ...(skip && { skip }),
      checks: [...cases.map((c) => check(c.id, (b) => checkGoldenCase(b, c), factory, firstGap(specGap(supports, c.spec), lossGap(supports, c.loss)))), ...reportSkips],
    };
  });
}

/** Conv residual goldens, gated on `supports.residual.variants` including "conv". */
function convGoldenSection(factory: BackendFactory, supports: Supports): ConformanceSection {
  const variantGap = supports.residual.variants.includes('conv') ? undefined : 'backend does not declare residual variant "conv"';
  const skip = firstGap(semanticsGap(supports), variantGap);
  const goldens = loadConvGoldens();
  const withStats = goldens.find((c) => c.spec.norm === 'batch' && c.spec.stem === 'imagenet')!;
  const checks = [
    check('getParams returns the weights and running statistics bitwise; non-NCHW input is a ShapeError', (b) => checkConvContract(b, withStats), factory),
    ...goldens.map((c) => check(c.id, (b) => checkConvGoldenCase(b, c), factory, lossGap(supports, c.loss))),
    ...loadConvTrajectories().map((t) => check(`trajectory: ${t.id}`, (b) => checkConvTrajectory(b, t), factory, trainingGap(supports, t.config))),
  ];
  return { id: 'goldens', title: 'conv residual goldens (BatchNorm train and eval, training trajectories)', ...(skip && { skip }), checks };
}

function trajectorySection(factory: BackendFactory, supports: Supports): ConformanceSection {
  const skip = firstGap(semanticsGap(supports), supports.training ? undefined : 'backend does not declare training');
  const checks = loadTrainingTrajectories().map((t) => check(t.id, (b) => checkTrajectory(b, t), factory, firstGap(specGap(supports, t.spec), trainingGap(supports, t.config))));
  return { id: 'trajectories', title: 'training trajectories (3 steps, parameter changes per step)', ...(skip && { skip }), checks };
}

function sweepSection(factory: BackendFactory, supports: Supports): ConformanceSection {
  const families: SweepFamily[] = ['residual', 'lstm', 'gru', 'rnn'];
  const familyGap = (f: SweepFamily): string | undefined => {
    if (f !== 'residual') return supports.recurrent.cells.includes(f) ? undefined : `backend does not declare cell "${f}"`;
    if (!supports.residual.variants.includes('dense')) return 'backend does not declare residual variant "dense"';
    return supports.residual.activations.length ? undefined : 'backend declares no activation';
  };
  const checks = families.map((f) =>
    check(
      `${f} networks agree with the reference`,
      (b) => withBackend(createReferenceBackend, (reference) => checkSweepAgainstReference(b, reference, f)),
      factory,
      firstGap(familyGap(f), supports.losses.length ? undefined : 'backend declares no loss'),
    ),
  );
  const skip = semanticsGap(supports);
  return { id: 'sweep', title: 'property sweep against the reference (fast-check, fixed seed)', ...(skip && { skip }), checks };
}

function contractSections(options: ConformanceOptions, supports: Supports, models: readonly ContractModel[]): ConformanceSection[] {
  const { factory } = options;
  const none = models.length ? undefined : 'backend declares no network and loss the goldens contain';
  const perModel = (title: string, run: (b: Backend, m: ContractModel) => Promise<CheckResult>, gap?: string): ConformanceCheck[] =>
    models.map((m) => check(`${m.label}: ${title}`, (b) => run(b, m), factory, gap));
  const first = models[0];
  const checkpointGap = !supports.training ? 'backend does not declare training' : !supports.checkpoint ? 'backend does not declare checkpoint' : undefined;
  const trainingContractGap = !supports.training ? 'backend does not declare training' : !supports.losses.includes('mse') ? 'backend does not declare loss "mse"' : undefined;
  const features = undeclaredFeatures(supports, supports.losses.includes('mse'));
  return [
    {
      id: 'params',
      title: 'parameters',
      ...(none && { skip: none }),
      checks: [
        ...perModel('createModel -> getParams returns the same weights, bitwise, as copies', (b, m) => checkParamsRoundTrip(b, m.spec, m.params)),
        ...perModel('setParams -> getParams returns the new weights and forward uses them', (b, m) => checkSetParams(b, m.spec, m.params, m.batch.input)),
        ...perModel('setParams rejects wrong weights with a ParamError naming each', (b, m) => checkSetParamsRejects(b, m.spec, m.params)),
      ],
    },
    {
      id: 'training',
      title: 'training contract',
      ...((none ?? trainingContractGap) && { skip: none ?? trainingContractGap }),
      checks: first
        ? [
            check('bad configs are SpecErrors naming the path; trainStep before configureTraining is TrainingNotConfiguredError', (b) => checkTrainingConfigErrors(b, first.spec, first.params, first.batch), factory),
            ...perModel('a non-finite step is refused and reported, never thrown, and changes nothing', (b, m) => checkNonFiniteStep(b, m.spec, m.params, m.batch)),
          ]
        : [],
    },
    {
      id: 'checkpoint',
      title: 'checkpoint and resume',
      ...((none ?? checkpointGap) && { skip: none ?? checkpointGap }),
      checks: perModel('resumed training equals uninterrupted training', (b, m) => checkCheckpointResume(b, m.spec, m.params, m.batch)),
    },
    {
      id: 'dispose',
      title: 'dispose',
      ...(none && { skip: none }),
      checks: first
        ? [
            check('model methods throw DisposedError after dispose(); dispose() twice is harmless', (b) => checkUseAfterDispose(b, first.spec, first.params, first.batch, first.loss), factory),
            { title: 'backend.dispose() disposes its models', run: () => checkBackendDispose(factory, first.spec, first.params, first.batch, first.loss) },
            {
              title: 'resource count returns to its baseline',
              ...(!options.resourceCount && { skip: 'no resourceCount hook in the options' }),
              run: () => checkResourcesReleased(factory, options.resourceCount!, first.spec, first.params, first.batch, first.loss),
            },
          ]
        : [],
    },
    {
      id: 'shapes',
      title: 'invalid input shapes',
      ...(none && { skip: none }),
      checks: perModel('ShapeErrors name the given and the expected shape', (b, m) => checkInputShapes(b, m.spec, m.params, m.batch, m.loss)),
    },
    {
      id: 'notSupported',
      title: 'undeclared features',
      ...(none && { skip: none }),
      checks: features.length
        ? features.map((f) => check(`${f.feature} throws NotSupportedError`, (b) => checkNotSupported(b, f, first!.spec, first!.params, first!.batch), factory))
        : [{ title: 'NotSupportedError for undeclared features', skip: 'backend declares every feature core defines', run: async () => ({ pass: true, failures: [], notes: [] }) }],
    },
  ];
}

/**
 * The suite as plain data: sections of checks, gated on the backend's `supports` manifest. Each check creates its
 * own backend from the factory and returns pass/fail with details, so it can run outside vitest (and be shown to
 * fail against a wrong backend).
 */
export async function planConformance(options: ConformanceOptions): Promise<ConformanceSection[]> {
  checkOptions(options);
  const supports = await withBackend(options.factory, async (b) => structuredClone(b.supports));
  const goldens = loadGoldenCases();
  const sections = [
    ...goldenSections(options.factory, supports, goldens),
    convGoldenSection(options.factory, supports),
    trajectorySection(options.factory, supports),
    sweepSection(options.factory, supports),
    ...contractSections(options, supports, contractModels(goldens, supports)),
  ];
  const only = options.only;
  if (!only) return sections;
  return sections.map((s) => (only.includes(s.id) || s.skip ? s : { ...s, skip: `not selected (options.only: ${only.join(', ')})` }));
}

/** Every check that runs (not skipped), with its result: for scripts and for tests that expect failures. */
export async function runConformance(options: ConformanceOptions): Promise<{ section: SectionId; title: string; result: CheckResult }[]> {
  const out: { section: SectionId; title: string; result: CheckResult }[] = [];
  for (const section of await planConformance(options)) {
    if (section.skip) continue;
    for (const c of section.checks) if (!c.skip) out.push({ section: section.id, title: `${section.title} > ${c.title}`, result: await c.run() });
  }
  return out;
}
