import { describeDeepSpec } from '@gradscope/testkit/conformance';
import { createOnnxBackend } from './backend.js';

// ONNX Runtime compiles the gradient graph of 1024 blocks in ~27 s (its own cost, linear in depth): the forward graph
// shows that building and running a spec of this depth works
describeDeepSpec('onnx', () => createOnnxBackend(), { forwardOnly: true });
