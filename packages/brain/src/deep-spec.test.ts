import { describeDeepSpec } from '@gradscope/testkit/conformance';
import { createBrainBackend } from './backend.js';

describeDeepSpec('brain', () => createBrainBackend());
