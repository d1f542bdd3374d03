import * as tf from '@tensorflow/tfjs';
import { describeBackendConformance } from '@gradscope/testkit/conformance';
import { createTfjsBackend } from './backend.js';

// The testkit's conformance suite: the whole suite on wasm (every capability is declared), a subset on cpu.
describeBackendConformance({ name: 'tfjs (wasm)', factory: () => createTfjsBackend(), resourceCount: () => tf.memory().numTensors });
describeBackendConformance({
  name: 'tfjs (cpu)',
  factory: () => createTfjsBackend({ backend: 'cpu' }),
  resourceCount: () => tf.memory().numTensors,
  only: ['goldens', 'trajectories', 'dispose', 'shapes'],
});
