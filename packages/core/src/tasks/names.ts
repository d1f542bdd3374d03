import { SpecError, type Issue } from '../errors.js';
import { createAddingTask } from './adding.js';
import { createSpiralsTask } from './spirals.js';
import type { Task } from './task.js';

/** A task named on the command line: `adding:T=100`, `spirals`, `spirals:turns=2,noise=0.05`. */
export type TaskRequest =
  | { readonly task: 'adding'; readonly T: number }
  | { readonly task: 'spirals'; readonly turns?: number; readonly noise?: number };

const known = {
  adding: { required: ['T'], optional: [] },
  spirals: { required: [], optional: ['turns', 'noise'] },
} as const;
export const taskNames = Object.keys(known) as (keyof typeof known)[];

/** Parses `name[:key=value,...]`; a `SpecError` names every problem (unknown task or option, missing or non-numeric value). */
export function parseTaskName(text: string): TaskRequest {
  const [name = '', rest] = splitOnce(text.trim(), ':');
  if (!(name in known)) {
    throw new SpecError([{ path: 'task', message: `expected one of ${taskNames.join('|')}, got ${JSON.stringify(name)}` }], 'task name');
  }
  const task = name as keyof typeof known;
  const allowed: readonly string[] = [...known[task].required, ...known[task].optional];
  const issues: Issue[] = [];
  const values: Record<string, number> = {};
  for (const part of rest ? rest.split(',') : []) {
    const [key = '', raw] = splitOnce(part.trim(), '=');
    if (!allowed.includes(key)) issues.push({ path: key, message: `unknown option of ${task} (allowed: ${allowed.join(', ') || 'none'})` });
    else if (raw === undefined || raw.trim() === '' || !Number.isFinite(Number(raw))) issues.push({ path: key, message: `expected a number, got ${JSON.stringify(raw ?? '')}` });
    else values[key] = Number(raw);
  }
  for (const key of known[task].required) if (!(key in values) && !issues.some((i) => i.path === key)) issues.push({ path: key, message: 'required' });
  if (issues.length) throw new SpecError(issues, `task name "${text}"`);
  return { task, ...values } as TaskRequest;
}

/** Builds the task a request names, seeded. */
export function createTask(request: TaskRequest, seed: number): Task {
  return request.task === 'adding' ? createAddingTask({ T: request.T, seed }) : createSpiralsTask({ seed, ...(request.turns === undefined ? {} : { turns: request.turns }), ...(request.noise === undefined ? {} : { noise: request.noise }) });
}

function splitOnce(s: string, sep: string): [string, string | undefined] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + sep.length)];
}
