import { activations, cellTypes, initSchemes, parseForgetGateInit, type Activation, type CellType, type InitScheme } from '@gradscope/core';

// The page's whole state, read from and written to the URL so a link reproduces a run.

export const webExperiments = ['depth', 'time', 'mnist'] as const;
export type WebExperiment = (typeof webExperiments)[number];
export const webBackends = ['tfjs', 'onnx', 'brain'] as const;
export type WebBackend = (typeof webBackends)[number];
/** `auto`: webgl where the worker has a hardware WebGL2 context, wasm otherwise (see runtimes.ts). */
export const tfjsDevices = ['auto', 'webgl', 'wasm'] as const;
export type TfjsDeviceChoice = (typeof tfjsDevices)[number];
export const architectures = ['plain', 'residual'] as const;
export type Architecture = (typeof architectures)[number];
/** Conv depths 6n+2 small enough for a browser tab. */
export const convDepths = [8, 14, 20] as const;

export interface PageState {
  experiment: WebExperiment;
  backends: WebBackend[];
  tfjs: TfjsDeviceChoice;
  seed: number;
  steps: number;
  /** Gradients of the probe batch are recorded at init and every `every` steps (the heatmap's rows). */
  every: number;
  /** depth and mnist */
  arch: Architecture;
  /** depth: blocks; mnist: layers 6n+2 */
  depth: number;
  activation: Activation;
  init: InitScheme;
  width: number;
  /** time */
  cell: CellType;
  T: number;
  /** `pytorch`, `bias:<b>`, `chrono:<tMax>` or `chrono:T` (T_max = T); LSTM only. */
  forget: string;
  hidden: number;
}

const defaultSteps: Record<WebExperiment, number> = { depth: 200, time: 200, mnist: 10 };

export function defaultState(experiment: WebExperiment = 'depth'): PageState {
  return {
    experiment,
    backends: [...webBackends],
    tfjs: 'auto',
    seed: 0,
    steps: defaultSteps[experiment],
    every: experiment === 'mnist' ? 2 : 10,
    arch: 'plain',
    depth: experiment === 'mnist' ? 8 : 16,
    activation: 'sigmoid',
    init: 'pytorch',
    width: 16,
    cell: 'lstm',
    T: 30,
    forget: 'pytorch',
    hidden: 16,
  };
}

/** The URL parameters each experiment reads (others are errors, so a typo never silently runs the default). */
const common = ['experiment', 'backends', 'tfjs', 'seed', 'steps', 'every'] as const;
const perExperiment: Record<WebExperiment, readonly (keyof PageState)[]> = {
  depth: [...common, 'arch', 'depth', 'activation', 'init', 'width'],
  time: [...common, 'cell', 'T', 'forget', 'hidden'],
  mnist: [...common, 'arch', 'depth'],
};

/** A URL parameter the page cannot use: which one, what it allows, and what it got. */
export interface ParamProblem {
  param: string;
  message: string;
}

export type ParsedState = { ok: true; state: PageState } | { ok: false; problems: ParamProblem[]; state: PageState };

function oneOf<T extends string>(param: string, allowed: readonly T[], raw: string, problems: ParamProblem[]): T | undefined {
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  problems.push({ param, message: `expected one of ${allowed.join('|')}, got ${JSON.stringify(raw)}` });
  return undefined;
}

function integer(param: string, min: number, max: number, raw: string, problems: ParamProblem[]): number | undefined {
  const n = Number(raw);
  if (raw.trim() !== '' && Number.isInteger(n) && n >= min && n <= max) return n;
  problems.push({ param, message: `expected an integer from ${min} to ${max}, got ${JSON.stringify(raw)}` });
  return undefined;
}

/** Reads the page state from a query string; every problem is reported (and the rest of the state still read). */
export function parseState(search: string): ParsedState {
  const query = new URLSearchParams(search);
  const problems: ParamProblem[] = [];
  const rawExperiment = query.get('experiment');
  const experiment = rawExperiment === null ? 'depth' : (oneOf('experiment', webExperiments, rawExperiment, problems) ?? 'depth');
  const state = defaultState(experiment);
  const allowed = perExperiment[experiment] as readonly string[];
  for (const [param, raw] of query) {
    if (!allowed.includes(param)) {
      problems.push({ param, message: `not a parameter of the ${experiment} experiment (expected one of ${allowed.join('|')})` });
      continue;
    }
    const set = <K extends keyof PageState>(key: K, value: PageState[K] | undefined): void => {
      if (value !== undefined) state[key] = value;
    };
    switch (param as keyof PageState) {
      case 'backends': {
        const names = raw.split(',').map((b) => oneOf('backends', webBackends, b, problems));
        if (names.every((n) => n !== undefined) && names.length > 0) state.backends = [...new Set(names as WebBackend[])];
        break;
      }
      case 'tfjs': set('tfjs', oneOf('tfjs', tfjsDevices, raw, problems)); break;
      case 'seed': set('seed', integer('seed', 0, 2 ** 31 - 1, raw, problems)); break;
      case 'steps': set('steps', integer('steps', 0, 5000, raw, problems)); break;
      case 'every': set('every', integer('every', 1, 5000, raw, problems)); break;
      case 'arch': set('arch', oneOf('arch', architectures, raw, problems)); break;
      case 'depth':
        if (experiment === 'mnist') {
          const d = oneOf('depth', convDepths.map(String), raw, problems);
          set('depth', d === undefined ? undefined : Number(d));
        } else set('depth', integer('depth', 1, 64, raw, problems));
        break;
      case 'activation': set('activation', oneOf('activation', activations, raw, problems)); break;
      case 'init': set('init', oneOf('init', initSchemes, raw, problems)); break;
      case 'width': set('width', integer('width', 2, 128, raw, problems)); break;
      case 'cell': set('cell', oneOf('cell', cellTypes, raw, problems)); break;
      case 'T': set('T', integer('T', 2, 200, raw, problems)); break;
      case 'hidden': set('hidden', integer('hidden', 2, 64, raw, problems)); break;
      case 'forget': {
        const ok = raw === 'chrono:T' || (() => { try { parseForgetGateInit(raw); return true; } catch { return false; } })();
        if (ok) state.forget = raw;
        else problems.push({ param: 'forget', message: `expected pytorch, bias:<number>, chrono:<tMax above 2> or chrono:T, got ${JSON.stringify(raw)}` });
        break;
      }
    }
  }
  if (experiment === 'time' && state.forget !== 'pytorch' && state.cell !== 'lstm') {
    problems.push({ param: 'forget', message: `a forget-gate init needs cell=lstm, got cell=${state.cell} with forget=${state.forget}` });
  }
  return problems.length ? { ok: false, problems, state } : { ok: true, state };
}

/** The query string of a state: every parameter its experiment reads, so the link still works if defaults change. */
export function stateToSearch(state: PageState): string {
  const query = new URLSearchParams();
  for (const key of perExperiment[state.experiment]) {
    const v = state[key];
    query.set(key, Array.isArray(v) ? v.join(',') : String(v));
  }
  return `?${query.toString()}`;
}

/** One line per problem, naming the parameter: shown on the page instead of running. */
export function describeProblems(problems: readonly ParamProblem[]): string[] {
  return problems.map((p) => `URL parameter "${p.param}": ${p.message}`);
}
