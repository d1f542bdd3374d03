export { createBrainBackend, brainSupports, BRAIN_JS_VERSION, type BrainBackendOptions, type BrainFlavor } from './backend.js';
export { brainActivations } from './residual.js';
