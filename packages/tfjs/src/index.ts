export { createTfjsBackend, type TfjsBackend, type TfjsBackendOptions } from './backend.js';
export { type TfjsDevice } from './device.js';
export { TfjsModel } from './model.js';
export { tfjsSupports } from './supports.js';
