// The browser-safe part of @gradscope/compare (no node: imports anywhere below): the experiments, running one
// workload on a backend, turning outcomes into a results.json, and the charts' ECharts options. The web page uses it.
export { suites, suiteNames, type SuiteName, type SuiteSettings, type DepthSettings, type TimeSettings, type TimeVariant, type MnistSettings } from './compare/suites.js';
export { depthWorkloads, timeWorkloads, mnistWorkloads, timeLabel, experiments, type Experiment, type Workload } from './compare/workloads.js';
export { digitsFromFiles, type MnistDigits } from './compare/mnist-task.js';
export { canRun, runWorkload, type WorkloadOutcome } from './compare/run-workload.js';
export { emptyResults, record, summarize, type RecordedWorkload, type ResultsHeader } from './compare/record.js';
export type * from './compare/results.js';
export { ADDING_BASELINE_MSE, TOLERANCES } from './compare/results.js';
export { chartOption, chartSize, formatTick, plottable, type ChartSpec, type HeatmapSpec, type SeriesSpec } from './reporting/chart-option.js';
export { colorOf } from './reporting/palette.js';
export { stringifyJson } from './json.js';
