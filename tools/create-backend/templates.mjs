// File templates of a new backend package: the module names of CONTRIBUTING.md's table, as in packages/tfjs,
// packages/onnx and packages/brain.
// The generated backend declares no capabilities, so it builds and its conformance suite runs (every numeric
// section reported as skipped with the reason) before a single kernel is written.

/** @param {{ name: string, pascal: string, camel: string, version: string, vitest: string, typescript: string, typesNode: string }} v */
export function templates(v) {
  const pkg = `@gradscope/${v.name}`;
  return {
    'package.json': `${JSON.stringify(
      {
        name: pkg,
        version: '0.0.0',
        description: `gradscope backend on ${v.name}.`,
        license: 'MIT',
        type: 'module',
        sideEffects: false,
        exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' }, './package.json': './package.json' },
        main: './dist/index.js',
        types: './dist/index.d.ts',
        files: ['dist', '!dist/**/*.test.*', '!dist/.tsbuildinfo', 'README.md'],
        engines: { node: '>=20' },
        scripts: { build: 'tsc -b', typecheck: 'tsc -p tsconfig.test.json', test: 'vitest run' },
        dependencies: { '@gradscope/core': 'workspace:*' },
        devDependencies: { '@gradscope/testkit': 'workspace:*', '@types/node': v.typesNode, typescript: v.typescript, vitest: v.vitest },
      },
      null,
      2,
    )}\n`,
    'tsconfig.json': `${JSON.stringify(
      {
        extends: '../../tsconfig.base.json',
        compilerOptions: { rootDir: 'src', outDir: 'dist', tsBuildInfoFile: 'dist/.tsbuildinfo' },
        include: ['src'],
        exclude: ['src/**/*.test.ts', 'src/**/__fixtures__'],
        references: [{ path: '../core' }],
      },
      null,
      2,
    )}\n`,
    'tsconfig.test.json': `${JSON.stringify(
      {
        extends: '../../tsconfig.base.json',
        compilerOptions: { noEmit: true, composite: false, declaration: false, declarationMap: false, rootDir: 'src' },
        include: ['src'],
      },
      null,
      2,
    )}\n`,
    'vitest.config.ts': `import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '${v.name}', include: ['src/**/*.test.ts'], testTimeout: 60_000 },
});
`,
    'src/backend.ts': `import { BACKEND_SPECIFICATION_VERSION, DisposedError, assertSpecSupported, validateParams, type Backend, type Model, type NetworkSpec, type ParamSet } from '@gradscope/core';
import { ${v.pascal}Model } from './model.js';
import { ${v.camel}Supports } from './supports.js';

/** Creates the ${v.name} backend. Declare a capability in supports.ts only once the conformance suite passes it. */
export function create${v.pascal}Backend(): Backend {
  const models = new Set<Model>();
  let disposed = false;
  const backend: Backend = {
    specificationVersion: BACKEND_SPECIFICATION_VERSION,
    name: '${v.name}',
    runtime: { name: '${v.name}', version: '${v.version}', device: 'cpu' },
    supports: ${v.camel}Supports,
    async createModel(spec: NetworkSpec, params: ParamSet): Promise<Model> {
      if (disposed) throw new DisposedError('${v.name} backend');
      assertSpecSupported(backend, spec);
      const model: Model = new ${v.pascal}Model(backend, spec, validateParams(spec, params), () => models.delete(model));
      models.add(model);
      return model;
    },
    async dispose(): Promise<void> {
      disposed = true;
      await Promise.all([...models].map((m) => m.dispose()));
    },
  };
  return backend;
}
`,
    'src/supports.ts': `import type { Supports } from '@gradscope/core';

/** What this backend implements. Nothing yet: every conformance section is reported as skipped with this as the reason. */
export const ${v.camel}Supports: Supports = {
  semantics: 'pytorch',
  residual: { variants: [], activations: [] },
  recurrent: { cells: [] },
  losses: [],
  training: false,
  optimizers: [],
  schedules: [],
  clipping: [],
  report: [],
  checkpoint: false,
  export: [],
};
`,
    'src/model.ts': `import {
  checkBatch,
  checkInput,
  HostTrainedModel,
  validateParams,
  type ArchitectureNorms,
  type Backend,
  type Batch,
  type GradientResult,
  type LossName,
  type NetworkSpec,
  type ParamSet,
  type StepOptions,
  type StepResult,
  type Tensor,
} from '@gradscope/core';
import { toRuntimeLayout, toTorchLayout } from './params.js';
import { recurrentForward, recurrentGradients } from './recurrent.js';
import { residualForward, residualGradients } from './residual.js';

/** One forward + backward pass on the runtime; gradients in runtime layout. */
export interface RuntimePass {
  readonly output: Tensor;
  readonly loss: number;
  readonly grads: ParamSet;
  readonly norms: ArchitectureNorms;
}

/**
 * A network on ${v.name}. Core's HostTrainedModel does the training config, the optimizer (PyTorch's equations on
 * the host), the non-finite rule and the lifecycle; this class feeds it the runtime's outputs and gradients.
 */
export class ${v.pascal}Model extends HostTrainedModel<NetworkSpec> {
  private params: ParamSet;

  constructor(owner: Pick<Backend, 'name' | 'supports'>, spec: NetworkSpec, params: ParamSet, private readonly onDispose: () => void) {
    super(owner, spec);
    this.params = toRuntimeLayout(spec, params);
  }

  async forward(input: Tensor): Promise<Tensor> {
    this.assertLive();
    checkInput(this.spec, input);
    return this.spec.kind === 'residual' ? residualForward(this.spec, this.params, input) : recurrentForward(this.spec, this.params, input);
  }

  async computeGradients(batch: Batch, loss: LossName): Promise<GradientResult> {
    const pass = this.pass(batch, loss);
    return { output: pass.output, loss: pass.loss, grads: toTorchLayout(this.spec, pass.grads), ...pass.norms };
  }

  async trainStep(batch: Batch, options: StepOptions = {}): Promise<StepResult> {
    const pass = this.pass(batch, this.configured().loss);
    const data = (set: ParamSet): Record<string, Float32Array> => Object.fromEntries(Object.entries(set).map(([n, t]) => [n, t.data]));
    // Weights and gradients both in runtime layout: the optimizer is elementwise.
    return this.applyStep(pass.loss, data(this.params), data(pass.grads), options.report === true, pass.norms);
  }

  private pass(batch: Batch, loss: LossName): RuntimePass {
    this.assertLive();
    checkBatch(this.spec, batch, loss);
    return this.spec.kind === 'residual' ? residualGradients(this.spec, this.params, batch, loss) : recurrentGradients(this.spec, this.params, batch, loss);
  }

  async getParams(): Promise<ParamSet> {
    this.assertLive();
    return toTorchLayout(this.spec, this.params);
  }

  async setParams(params: ParamSet): Promise<void> {
    this.assertLive();
    this.params = toRuntimeLayout(this.spec, validateParams(this.spec, params));
  }

  protected release(): void {
    this.onDispose();
  }
}
`,
    'src/residual.ts': `import { NotSupportedError, type Batch, type LossName, type ParamSet, type ResidualSpec, type Tensor } from '@gradscope/core';
import type { RuntimePass } from './model.js';

/**
 * The output of DESIGN.md's residual network (stem, blocks with skip, head) on the runtime. Do not walk the spec:
 * implement core's \`ResidualPrimitives\` (linear, activate, sum) in the runtime's ops and run
 * \`runResidualPlan(planResidual(spec), ops, x, probes)\`, as packages/onnx/src/residual.ts does.
 */
export function residualForward(_spec: ResidualSpec, _params: ParamSet, _input: Tensor): Tensor {
  throw new NotSupportedError('${v.name}', 'residual networks', 'not implemented yet');
}

/** Loss, every parameter gradient (runtime layout) and the block norms of one batch. */
export function residualGradients(_spec: ResidualSpec, _params: ParamSet, _batch: Batch, _loss: LossName): RuntimePass {
  throw new NotSupportedError('${v.name}', 'residual networks', 'not implemented yet');
}
`,
    'src/recurrent.ts': `import { NotSupportedError, type Batch, type LossName, type ParamSet, type RecurrentSpec, type Tensor } from '@gradscope/core';
import type { RuntimePass } from './model.js';

/**
 * The output of a stacked LSTM / GRU / tanh RNN with a linear readout of the last step (see DESIGN.md). The cell
 * equations are core's: implement \`RecurrentPrimitives\` (projections, gate splits, elementwise ops) and run
 * \`runRecurrentPlan(planRecurrent(spec), ops, probes)\`, as packages/onnx/src/recurrent.ts does.
 */
export function recurrentForward(_spec: RecurrentSpec, _params: ParamSet, _input: Tensor): Tensor {
  throw new NotSupportedError('${v.name}', 'recurrent networks', 'not implemented yet');
}

/** Loss, every parameter gradient (runtime layout) and the per-timestep norms of one batch. */
export function recurrentGradients(_spec: RecurrentSpec, _params: ParamSet, _batch: Batch, _loss: LossName): RuntimePass {
  throw new NotSupportedError('${v.name}', 'recurrent networks', 'not implemented yet');
}
`,
    'src/params.ts': `import { cloneParams, type NetworkSpec, type ParamSet } from '@gradscope/core';

// PyTorch layout <-> this runtime's layout: the one place transposes and gate orders live. Copies both ways, so
// the model never shares arrays with its caller; the identity until the runtime needs more.

export function toRuntimeLayout(_spec: NetworkSpec, params: ParamSet): ParamSet {
  return cloneParams(params);
}

export function toTorchLayout(_spec: NetworkSpec, params: ParamSet): ParamSet {
  return cloneParams(params);
}
`,
    'src/index.ts': `export { create${v.pascal}Backend } from './backend.js';
export { ${v.pascal}Model } from './model.js';
export { ${v.camel}Supports } from './supports.js';
`,
    'src/conformance.test.ts': `import { describeBackendConformance } from '@gradscope/testkit/conformance';
import { create${v.pascal}Backend } from './backend.js';

describeBackendConformance({ name: '${v.name}', factory: () => create${v.pascal}Backend() });
`,
    'README.md': `# ${pkg}

A gradscope backend on ${v.name}. It implements the \`Backend\` contract of \`@gradscope/core\`; its capabilities are
declared in \`src/supports.ts\` and proven by the conformance suite of \`@gradscope/testkit\` (\`src/conformance.test.ts\`).

\`\`\`ts
import { create${v.pascal}Backend } from '${pkg}';

const backend = create${v.pascal}Backend();
console.log(backend.name, backend.supports.recurrent.cells);
await backend.dispose();
\`\`\`
`,
  };
}
