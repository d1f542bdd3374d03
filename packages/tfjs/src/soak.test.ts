import * as tf from '@tensorflow/tfjs';
import { describeSoak } from '@gradscope/testkit/conformance';
import { createTfjsBackend } from './backend.js';

describeSoak('tfjs', () => createTfjsBackend(), { 'tf.memory().numTensors': () => tf.memory().numTensors });
