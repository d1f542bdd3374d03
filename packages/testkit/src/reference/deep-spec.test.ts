import { describeDeepSpec } from '../conformance/deep-spec.js';
import { createReferenceBackend } from './backend.js';

describeDeepSpec('reference', () => createReferenceBackend());
