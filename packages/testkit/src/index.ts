export * from './goldens/index.js';
