import { describe, expect, it } from 'vitest';
import { defaultState, describeProblems, parseState, stateToSearch } from './state.js';

describe('page state in the URL', () => {
  it('a link written from a state reads back as the same state', () => {
    const state = { ...defaultState('time'), backends: ['onnx' as const, 'tfjs' as const], cell: 'lstm' as const, T: 50, forget: 'chrono:T', seed: 7 };
    const parsed = parseState(stateToSearch(state));
    expect(parsed).toEqual({ ok: true, state });
  });

  it('names every bad parameter with its allowed values and keeps the good ones', () => {
    const parsed = parseState('?experiment=depth&activation=rleu&depth=12&backends=tfjs,torch&T=5');
    expect(parsed.ok).toBe(false);
    expect(parsed.state.depth).toBe(12);
    expect(describeProblems(parsed.ok ? [] : parsed.problems)).toEqual([
      'URL parameter "activation": expected one of relu|tanh|sigmoid|leakyRelu|gelu|linear, got "rleu"',
      'URL parameter "backends": expected one of tfjs|onnx|brain, got "torch"',
      'URL parameter "T": not a parameter of the depth experiment (expected one of experiment|backends|tfjs|seed|steps|every|arch|depth|activation|init|width)',
    ]);
  });

  it('takes conv depths 6n+2 only, and a forget-gate init only for an LSTM', () => {
    expect(parseState('?experiment=mnist&depth=14')).toMatchObject({ ok: true, state: { depth: 14 } });
    expect(parseState('?experiment=mnist&depth=16')).toMatchObject({ ok: false, problems: [{ param: 'depth', message: 'expected one of 8|14|20, got "16"' }] });
    expect(parseState('?experiment=time&cell=gru&forget=bias:1')).toMatchObject({ ok: false, problems: [{ param: 'forget' }] });
    expect(parseState('?experiment=time&forget=chrono:1')).toMatchObject({ ok: false, problems: [{ param: 'forget' }] });
  });
});
