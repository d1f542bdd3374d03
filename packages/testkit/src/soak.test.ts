import { describeSoak } from './conformance/soak-suite.js';
import { createReferenceBackend } from './reference/backend.js';

describeSoak('reference', () => createReferenceBackend());
