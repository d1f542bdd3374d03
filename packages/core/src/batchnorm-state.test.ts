import { describe, expect, it } from 'vitest';
import { BatchNormState } from './batchnorm-state.js';
import type { BatchNormMode } from './conv-spec.js';
import { NotSupportedError } from './errors.js';

const state = { step: 3, optimizer: { step: 3, slots: {} } };

describe('BatchNormState', () => {
  it('counts only the steps taken in train mode, and carries the count in a training state', () => {
    const bn = new BatchNormState({ norm: 'batch' }, 'x');
    bn.countStep();
    bn.setMode('eval');
    expect(bn.updatesRunningStats).toBe(false);
    bn.countStep();
    expect(bn.batchesTracked).toBe(1);
    expect(bn.addTo(state)).toEqual({ ...state, batchesTracked: 1 });
    bn.restore(7);
    bn.restore(undefined);
    expect(bn.batchesTracked).toBe(7);
  });

  it('has nothing to count or carry without BatchNorm', () => {
    const bn = new BatchNormState({ norm: 'none' }, 'x');
    bn.countStep();
    bn.restore(4);
    expect(bn.batchesTracked).toBe(0);
    expect(bn.addTo(state)).toEqual(state);
  });

  it('names the backend and the mode it does not know', () => {
    const bn = new BatchNormState({ norm: 'batch' }, 'tfjs');
    expect(() => bn.setMode('test' as BatchNormMode)).toThrow(NotSupportedError);
    expect(() => bn.setMode('test' as BatchNormMode)).toThrow('tfjs backend does not support BatchNorm mode "test"');
    expect(bn.mode).toBe('train');
  });
});
