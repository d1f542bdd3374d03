export * from './monitor.js';
export * from './history.js';
export * from './detector.js';
export * from './jsonl.js';
