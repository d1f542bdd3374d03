export type { Task } from './task.js';
export * from './adding.js';
export * from './spirals.js';
export * from './names.js';
