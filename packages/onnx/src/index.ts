export { createOnnxBackend, type OnnxBackendOptions } from './backend.js';
export { onnxSupports } from './supports.js';
export { exportOnnx, type ExportOptions } from './export.js';
export { appendBackward, differentiableOps, NoGradientRuleError, type Backward } from './autodiff.js';
export { Graph, GraphError, type Attrs } from './graph.js';
export { batchNormTraining, type BatchNormTrainingOptions, type BatchNormTrainingValues } from './conv-batchnorm.js';
export { compileModel, CompileError, trainingGraph, type CompiledModel, type CompileOptions, type Purpose, type TrainingGraph } from './compile.js';
export { liveSessionCount, OnnxSession, type Feeds, type Fetched } from './session.js';
export { IR_VERSION, OPSET_VERSION } from './proto.js';
