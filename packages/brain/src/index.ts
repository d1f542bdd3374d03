export { createBrainBackend, type BrainBackendOptions } from './backend.js';
export { brainSupports, BRAIN_JS_VERSION, type BrainFlavor } from './supports.js';
export { brainActivations } from './residual.js';
