/** Base class of every error gradscope throws on purpose: `code` is stable, `message` names the place. */
export class GradscopeError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** One problem found in a JSON document, at a dotted path such as `block.activation` or `betas[1]`. */
export interface Issue {
  readonly path: string;
  readonly message: string;
}

function listIssues(title: string, issues: readonly Issue[]): string {
  return [title, ...issues.map((i) => `  - ${i.path || '(root)'}: ${i.message}`)].join('\n');
}

/** A network spec (or a training option given as JSON) does not validate. Lists every problem at once. */
export class SpecError extends GradscopeError {
  readonly issues: readonly Issue[];
  constructor(issues: readonly Issue[], what = 'spec') {
    super('SPEC_INVALID', listIssues(`invalid ${what}: ${issues.length} problem${issues.length === 1 ? '' : 's'}`, issues));
    this.issues = issues;
  }
}

/** A parameter set does not fit its spec. Every missing, unexpected and wrongly-shaped tensor is listed. */
export class ParamError extends GradscopeError {
  readonly missing: readonly string[];
  readonly unexpected: readonly string[];
  readonly wrongShape: readonly { name: string; expected: readonly number[]; actual: readonly number[] }[];
  constructor(
    missing: readonly string[],
    unexpected: readonly string[],
    wrongShape: readonly { name: string; expected: readonly number[]; actual: readonly number[] }[],
    source = 'parameters',
  ) {
    const lines = [
      ...missing.map((n) => `  - missing: ${n}`),
      ...unexpected.map((n) => `  - unexpected: ${n}`),
      ...wrongShape.map((w) => `  - ${w.name}: expected shape [${w.expected.join(', ')}], got [${w.actual.join(', ')}]`),
    ];
    super('PARAMS_MISMATCH', [`${source} do not match the spec:`, ...lines].join('\n'));
    this.missing = missing;
    this.unexpected = unexpected;
    this.wrongShape = wrongShape;
  }
}

/** A weights / checkpoint file is malformed (bad header, offsets out of range, unknown dtype, ...). */
export class WeightsFormatError extends GradscopeError {
  constructor(message: string) {
    super('WEIGHTS_FORMAT', message);
  }
}

/** An input or target tensor does not have the shape the model needs. */
export class ShapeError extends GradscopeError {
  constructor(message: string) {
    super('SHAPE_MISMATCH', message);
  }
}

/** A backend was asked for something its `supports` manifest does not declare. */
export class NotSupportedError extends GradscopeError {
  readonly feature: string;
  readonly backend: string;
  constructor(backend: string, feature: string, detail?: string) {
    super('NOT_SUPPORTED', `${backend} backend does not support ${feature}${detail ? `: ${detail}` : ''}`);
    this.feature = feature;
    this.backend = backend;
  }
}

/** A model or backend was used after `dispose()`. */
export class DisposedError extends GradscopeError {
  constructor(what: string) {
    super('DISPOSED', `${what} was used after dispose()`);
  }
}

/**
 * Why a training step was refused: the loss or a gradient was not finite, or the update would have given a weight that
 * is not a finite float32 (float64 hosts included, so every backend refuses the same steps).
 */
export type NonFinite = 'loss' | 'gradients' | 'weights';

/** `train()` stopped because a step was refused as non-finite (`StepResult.nonFinite`); the model kept the weights before it. */
export class NonFiniteLossError extends GradscopeError {
  readonly step: number;
  /** What was not finite: the loss, a gradient, or an updated weight. */
  readonly what: NonFinite;
  constructor(step: number, loss: number, what: NonFinite = 'loss') {
    const cause = what === 'loss' ? `loss became ${loss}` : what === 'gradients' ? `gradients became non-finite (loss ${loss})` : 'the update would make a weight non-finite in float32';
    super('NON_FINITE_LOSS', `${cause} at step ${step}; the step was refused, training stopped and the last good weights were kept`);
    this.step = step;
    this.what = what;
  }
}

/** A training method was called before `configureTraining(config)`. */
export class TrainingNotConfiguredError extends GradscopeError {
  constructor(backend: string, method: string) {
    super('NOT_CONFIGURED', `${backend} model: call configureTraining(config) before ${method}()`);
  }
}
