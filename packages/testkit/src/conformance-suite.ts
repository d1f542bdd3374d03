// `@gradscope/testkit/conformance`: the vitest suite. Kept off the root entry so that importing the reference
// backend or the goldens never loads vitest (a peer dependency only the suite needs).
export * from './conformance/index.js';
export { describeBackendConformance, ConformanceFailure } from './conformance/describe.js';
export { describeDeepSpec, type DeepSpecOptions } from './conformance/deep-spec.js';
export { describeSoak } from './conformance/soak-suite.js';
