import {
  depthWorkloads,
  mnistWorkloads,
  suites,
  timeWorkloads,
  type MnistDigits,
  type SuiteSettings,
  type TimeVariant,
  type Workload,
} from '@gradscope/compare/browser';
import { parseForgetGateInit } from '@gradscope/core';
import type { PageState } from './state.js';

// The page runs the CLI's own experiment definitions (apps/compare's workloads), with the smoke suite's settings
// for everything the controls do not set: same seed and settings, same weights and batches as in Node.

function forgetGate(forget: string): TimeVariant['forgetGate'] {
  if (forget === 'chrono:T') return { type: 'chrono', tMax: 'T' };
  const gate = parseForgetGateInit(forget);
  return gate.type === 'pytorch' ? undefined : gate;
}

/** The suite the state describes: the smoke suite with the controls' values in the chosen experiment's settings. */
export function experimentSuite(state: PageState): SuiteSettings {
  const base = suites.smoke;
  const { steps, every: reportEvery } = state;
  switch (state.experiment) {
    case 'depth':
      return { ...base, name: 'web', depth: { ...base.depth, depths: [state.depth], activations: [state.activation], width: state.width, steps, reportEvery, init: state.init } };
    case 'time': {
      const gate = forgetGate(state.forget);
      const variant: TimeVariant = { cell: state.cell, ...(gate && { forgetGate: gate }) };
      return { ...base, name: 'web', time: { ...base.time, lengths: [state.T], variants: [variant], seeds: 1, hiddenSize: state.hidden, steps, reportEvery } };
    }
    case 'mnist':
      return { ...base, name: 'web', mnist: { ...base.mnist, depths: [state.depth], steps, reportEvery } };
  }
}

function only(workloads: Workload[], what: string): Workload {
  if (workloads.length !== 1) throw new Error(`expected one ${what} workload, got ${workloads.length}`);
  return workloads[0]!;
}

/** The one workload the state describes, built by apps/compare. `digits` is needed only for the MNIST experiment. */
export function buildWorkload(state: PageState, digits?: MnistDigits): Workload {
  const suite = experimentSuite(state);
  switch (state.experiment) {
    case 'depth':
      return only(depthWorkloads(suite, state.seed).filter((w) => w.depth!.architecture === state.arch), 'depth');
    case 'time':
      return only(timeWorkloads(suite, state.seed), 'time');
    case 'mnist':
      if (!digits) throw new Error('the MNIST experiment needs the digits');
      return only(mnistWorkloads(suite, state.seed, digits).filter((w) => w.mnist!.architecture === state.arch), 'mnist');
  }
}
