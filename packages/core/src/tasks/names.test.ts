import { describe, expect, it } from 'vitest';
import { SpecError } from '../errors.js';
import { createTask, parseTaskName } from './names.js';

function problems(text: string): string[] {
  try {
    parseTaskName(text);
  } catch (e) {
    expect(e).toBeInstanceOf(SpecError);
    return (e as SpecError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('expected a SpecError');
}

describe('parseTaskName', () => {
  it('reads the CLI forms', () => {
    expect(parseTaskName('adding:T=100')).toEqual({ task: 'adding', T: 100 });
    expect(parseTaskName('spirals')).toEqual({ task: 'spirals' });
    expect(parseTaskName('spirals:turns=2, noise=0.05')).toEqual({ task: 'spirals', turns: 2, noise: 0.05 });
  });

  it('names the problem and the allowed values', () => {
    expect(problems('addding:T=5')).toEqual(['task: expected one of adding|spirals, got "addding"']);
    expect(problems('adding')).toEqual(['T: required']);
    expect(problems('adding:T=ten,S=1')).toEqual(['T: expected a number, got "ten"', 'S: unknown option of adding (allowed: T)']);
  });

  it('round-trips through the task name', () => {
    const task = createTask(parseTaskName('adding:T=30'), 1);
    expect(parseTaskName(task.name)).toEqual({ task: 'adding', T: 30 });
    const spirals = createTask(parseTaskName('spirals:turns=2'), 1);
    expect(parseTaskName(spirals.name)).toEqual({ task: 'spirals', turns: 2, noise: 0 });
  });

  it('builds a seeded task equal to the direct constructor', () => {
    expect(createTask({ task: 'adding', T: 8 }, 3).trainBatch(2, 0)).toEqual(createTask(parseTaskName('adding:T=8'), 3).trainBatch(2, 0));
    expect(() => createTask(parseTaskName('adding:T=1'), 0)).toThrow('T: expected an integer in [2, 1000000], got 1');
  });
});
