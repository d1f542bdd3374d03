import type { WebExperiment } from './state.js';

// One line under each chart saying what it shows (the README says the same at more length).

export function captions(id: string, experiment: WebExperiment): string {
  const recurrent = experiment === 'time';
  if (id.startsWith('heatmap-')) {
    return recurrent
      ? 'Each row is one recorded training step (0 = initialization), each column a timestep t; colour is log10 of the total ||dL/dh_t|| of the probe batch. Dark on the left: the gradient from the loss no longer reaches the early timesteps.'
      : 'Each row is one recorded training step (0 = initialization), each column a block; colour is log10 of ||dL/d block output|| of the probe batch. Dark on the left: the first blocks receive almost no gradient.';
  }
  if (id === 'profile') {
    return 'The same norms as lines, at initialization (dashed) and at the latest recorded step (solid), one colour per backend: where the lines of different runtimes lie on top of each other, they agree.';
  }
  return recurrent ? 'MSE on each training batch of the adding problem; always predicting 1.0 scores 1/6.' : 'Cross-entropy on each training batch; ln 2 ≈ 0.69 is chance on two spirals, ln 10 ≈ 2.3 on the digits.';
}
