export { createOnnxBackend, supports, TrainingNotConfiguredError, type OnnxBackendOptions } from './backend.js';
export { NoGradientRuleError, appendBackward, differentiableOps, type Backward } from './autodiff.js';
export { Graph, GraphError } from './graph.js';
export { compileModel, type Purpose, type CompiledModel, type CompileOptions } from './train.js';
