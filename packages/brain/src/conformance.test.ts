import { describeBackendConformance } from '@gradscope/testkit/conformance';
import { createBrainBackend } from './backend.js';

// The faithful flavor declares every capability brain.js can compute (all but the gelu activation and export);
// the suite gates on `supports` and lists each gated check as skipped with its reason. There is no resource count:
// brain.js matrices are plain typed arrays, freed by the garbage collector.
describeBackendConformance({ name: 'brain', factory: () => createBrainBackend() });
