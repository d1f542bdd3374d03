// @gradscope/compare as a library: the same experiments, probe and report the `gradscope` CLI runs.
export { compare, type CompareOptions, type ProgressEvent } from './compare/compare.js';
export type * from './compare/results.js';
export { ADDING_BASELINE_MSE, TOLERANCES } from './compare/results.js';
export { suites, suiteNames, type SuiteName, type SuiteSettings } from './compare/suites.js';
export { resultTables, formatTextTable, type Table } from './compare/tables.js';
export { writeReport, type ReportFiles } from './reporting/write.js';
export { renderReportHtml } from './reporting/html.js';
export { probe, toProbeResult, type ProbeOptions, type ProbeResult } from './probe.js';
export { availableBackendNames, backendRegistry, backendNames, createBackend, BackendUnavailableError, type BackendEntry } from './backends.js';
export { main } from './main.js';
