export { createReferenceBackend, referenceSupports, type ReferenceBackend } from './reference/backend.js';
export { ReferenceModel } from './reference/model.js';
export { ReferenceConvModel, type ConvGradientResult64 } from './reference/conv-model.js';
export type { ConvProbes } from './reference/conv-net.js';
export { forward64, gradients64, loss64, type AnyBatch, type AnyTensor, type GradientResult64, type NetworkProbes } from './reference/network.js';
export { toParams64, type Params64, type Tensor64 } from './reference/params64.js';
export * from './goldens/index.js';
export * from './conformance/index.js';
export { strokeBatch } from './stroke-batch.js';
