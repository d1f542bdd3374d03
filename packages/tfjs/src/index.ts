export { createTfjsBackend, type TfjsBackend, type TfjsBackendOptions } from './backend.js';
export { type TfjsDevice } from './device.js';
export { TfjsConvModel } from './conv-model.js';
export { TfjsModel } from './model.js';
export { tfjsSupports } from './supports.js';
export { saveLayersModel, toLayersModel } from './export.js';
export { kerasRecurrentWeights, toTfjsLayout, toTorchLayout, type KerasRecurrentWeights } from './params.js';
export { TorchGRU, type TorchGRUArgs } from './torch-gru-layer.js';
