// File templates of a new backend package: the same file names as packages/tfjs, packages/onnx and packages/brain.
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
    'src/backend.ts': `import { BACKEND_SPECIFICATION_VERSION, DisposedError, assertSpecSupported, type Backend, type Model, type NetworkSpec, type ParamSet } from '@gradscope/core';
import { buildRecurrent } from './recurrent.js';
import { buildResidual } from './residual.js';
import { ${v.camel}Supports } from './supports.js';

/** Creates the ${v.name} backend. Declare a capability in supports.ts only once the conformance suite passes it. */
export function create${v.pascal}Backend(): Backend {
  let disposed = false;
  const backend: Backend = {
    specificationVersion: BACKEND_SPECIFICATION_VERSION,
    name: '${v.name}',
    runtime: { name: '${v.name}', version: '${v.version}', device: 'cpu' },
    supports: ${v.camel}Supports,
    async createModel(spec: NetworkSpec, params: ParamSet): Promise<Model> {
      if (disposed) throw new DisposedError('${v.name} backend');
      assertSpecSupported(backend, spec);
      return spec.kind === 'residual' ? buildResidual(spec, params) : buildRecurrent(spec, params);
    },
    async dispose(): Promise<void> {
      disposed = true;
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
    'src/residual.ts': `import { NotSupportedError, type Model, type ParamSet, type ResidualSpec } from '@gradscope/core';

/** Builds a residual network on the runtime (stem, blocks with skip, head; see DESIGN.md). */
export function buildResidual(_spec: ResidualSpec, _params: ParamSet): Promise<Model> {
  throw new NotSupportedError('${v.name}', 'residual networks', 'not implemented yet');
}
`,
    'src/recurrent.ts': `import { NotSupportedError, type Model, type ParamSet, type RecurrentSpec } from '@gradscope/core';

/** Builds a stacked LSTM / GRU / tanh RNN with a linear readout of the last step (see DESIGN.md). */
export function buildRecurrent(_spec: RecurrentSpec, _params: ParamSet): Promise<Model> {
  throw new NotSupportedError('${v.name}', 'recurrent networks', 'not implemented yet');
}
`,
    'src/params.ts': `import type { ParamSet } from '@gradscope/core';

/** Converts PyTorch-layout parameters (core's ParamSet) to this runtime's layout; the identity until a runtime needs more. */
export function toRuntimeLayout(params: ParamSet): ParamSet {
  return params;
}
`,
    'src/train.ts': `// Training step: clip -> schedule -> optimizer with core's applyTrainingStep on this runtime's gradients,
// or the same equations in the runtime's own ops. Declare \`training: true\` in supports.ts when it is done.
export {};
`,
    'src/export.ts': `// Export to a deployment format of this runtime, declared in supports.export when it exists.
export {};
`,
    'src/index.ts': `export { create${v.pascal}Backend } from './backend.js';
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
