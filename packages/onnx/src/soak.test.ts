import { describeSoak } from '@gradscope/testkit/conformance';
import { createOnnxBackend } from './backend.js';
import { liveSessionCount } from './session.js';

describeSoak('onnx', () => createOnnxBackend(), { 'ORT sessions': liveSessionCount });
