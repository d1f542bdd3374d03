import { describeBackendConformance } from '@gradscope/testkit/conformance';
import { createOnnxBackend } from './backend.js';
import { liveSessionCount } from './session.js';

// Every capability is declared in `supports`, so no section is gated; the sweep builds a session per new shape.
describeBackendConformance({ name: 'onnx (wasm)', factory: () => createOnnxBackend(), resourceCount: liveSessionCount });

// The same suite on onnxruntime-node's native CPU build (an optional peer, installed here as a dev dependency).
describeBackendConformance({ name: 'onnx (node)', factory: () => createOnnxBackend({ device: 'node' }), resourceCount: liveSessionCount });
