export * from './types.js';
export * from './load.js';
export * from './fixtures-dir.js';
export * from './conv.js';
export * from './fixture-diff.js';
