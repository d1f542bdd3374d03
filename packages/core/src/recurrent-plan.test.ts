import { describe, expect, it } from 'vitest';
import { paramShapes } from './params.js';
import { planRecurrent, runRecurrentPlan, type RecurrentPrimitives } from './recurrent-plan.js';
import { parseSpec, type CellType, type RecurrentSpec } from './spec.js';

// Primitives on strings: a projection is `[...]` of its gate blocks, so the run spells out PyTorch's cell equations.
const symbolic = (gates: number): RecurrentPrimitives<string, string> => ({
  projectInputs: (layer, below) => (below ?? ['x0', 'x1']).map((x) => `${layer.weightIh}·${x}+${layer.biasIh}`),
  projectHidden: (layer, h) => `${layer.weightHh}·${h}+${layer.biasHh}`,
  split: (p) => Array.from({ length: gates }, (_, j) => `(${p})[${j}]`),
  activateSum: (a, b, acts) => acts.map((act, j) => `${act === 'sigmoid' ? 'σ' : 'tanh'}((${a} + ${b})[${j}])`),
  zeros: () => '0',
  sigmoid: (v) => `σ(${v})`,
  tanh: (v) => `tanh(${v})`,
  mul: (a, b) => `${a}*${b}`,
  sub: (a, b) => `(${a} - ${b})`,
  sum: (terms) => `{${terms.join(' + ')}}`,
  linear: (h, name) => `${name}(${h})`,
});

const spec = (cell: CellType, numLayers = 1): RecurrentSpec =>
  parseSpec({ kind: 'recurrent', cell, inputSize: 1, hiddenSize: 2, numLayers, outputSize: 1 }) as RecurrentSpec;

describe('planRecurrent + runRecurrentPlan', () => {
  it('names exactly the PyTorch parameters of the spec, layer by layer', () => {
    const plan = planRecurrent(spec('lstm', 2));
    const named = [...plan.layers.flatMap((l) => [l.weightIh, l.weightHh, l.biasIh, l.biasHh]), `${plan.head}.weight`, `${plan.head}.bias`];
    expect(named.sort()).toEqual(paramShapes(spec('lstm', 2)).map((s) => s.name).sort());
    expect(plan.gates).toBe(4);
  });

  it("an LSTM step: gates i,f,g,o of the summed projections, c = f*c + i*g, h = o*tanh(c); the readout reads the last h", () => {
    const run = runRecurrentPlan(planRecurrent(spec('lstm')), symbolic(4));
    const pre = '(lstm.weight_ih_l0·x0+lstm.bias_ih_l0 + lstm.weight_hh_l0·0+lstm.bias_hh_l0)';
    expect(run.cell[0]![0]).toBe(`{σ(${pre}[1])*0 + σ(${pre}[0])*tanh(${pre}[2])}`);
    expect(run.hidden[0]![0]).toBe(`σ(${pre}[3])*tanh(${run.cell[0]![0]})`);
    expect(run.output).toBe(`fc(${run.hidden[0]![1]})`);
  });

  it("a GRU step is PyTorch's reset-after form, h' = n + z*(h - n); a tanh RNN is tanh of the summed projections", () => {
    const gru = runRecurrentPlan(planRecurrent(spec('gru')), symbolic(3));
    const [xp, hp] = ['gru.weight_ih_l0·x0+gru.bias_ih_l0', 'gru.weight_hh_l0·0+gru.bias_hh_l0'];
    const n = `tanh({(${xp})[2] + σ({(${xp})[0] + (${hp})[0]})*(${hp})[2]})`;
    expect(gru.hidden[0]![0]).toBe(`{${n} + σ({(${xp})[1] + (${hp})[1]})*(0 - ${n})}`);
    expect(gru.cell).toEqual([[]]);
    const rnn = runRecurrentPlan(planRecurrent(spec('rnn')), symbolic(1));
    expect(rnn.hidden[0]![0]).toBe('tanh((rnn.weight_ih_l0·x0+rnn.bias_ih_l0 + rnn.weight_hh_l0·0+rnn.bias_hh_l0)[0])');
  });

  it('a stacked layer reads the h_t of the layer below; probes are added to every h_t and c_t', () => {
    const run = runRecurrentPlan(planRecurrent(spec('rnn', 2)), symbolic(1), { hidden: [['p00', 'p01'], ['p10', 'p11']] });
    expect(run.hidden[0]![0]).toMatch(/^\{tanh\(.*\) \+ p00\}$/);
    expect(run.hidden[1]![0]).toContain(`rnn.weight_ih_l1·${run.hidden[0]![0]}+rnn.bias_ih_l1`);
    const lstm = runRecurrentPlan(planRecurrent(spec('lstm')), symbolic(4), { hidden: [['h0', 'h1']], cell: [['c0', 'c1']] });
    expect(lstm.cell[0]![0]).toMatch(/ \+ c0\}$/);
  });
});
