import { createReferenceBackend } from '../reference/backend.js';
import { describeBackendConformance } from './describe.js';

// The whole suite, green on the float64 reference: it is the oracle the suite compares other backends with.
describeBackendConformance({ name: 'reference', factory: createReferenceBackend });
