import { describeSoak } from '@gradscope/testkit/conformance';
import { createBrainBackend } from './backend.js';

describeSoak('brain', () => createBrainBackend());
