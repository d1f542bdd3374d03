// Node-only helpers (files on disk). Browser code imports `@gradscope/core` alone.
export { createJsonlSink, reportToJsonLine, type JsonlSink, type JsonlSinkOptions } from './monitor/jsonl.js';
