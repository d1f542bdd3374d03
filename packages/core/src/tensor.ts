import { ShapeError } from './errors.js';

/** A float32 tensor in row-major order, as PyTorch lays it out. */
export interface Tensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Float arrays the numeric helpers accept: float32 for backends, float64 for the reference. */
export type NumericArray = Float32Array | Float64Array;

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function tensor(shape: readonly number[], data: ArrayLike<number>): Tensor {
  const size = sizeOf(shape);
  if (data.length !== size) {
    throw new ShapeError(`tensor of shape [${shape.join(', ')}] needs ${size} values, got ${data.length}`);
  }
  return { shape: [...shape], data: data instanceof Float32Array ? data : Float32Array.from(data) };
}

export function zeros(shape: readonly number[]): Tensor {
  return { shape: [...shape], data: new Float32Array(sizeOf(shape)) };
}

/** L2 (Frobenius) norm over the whole array, accumulated in float64. */
export function l2Norm(data: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    s += v * v;
  }
  return Math.sqrt(s);
}

/** `max|a - b| / max|ref|`, the relative error DESIGN.md uses to compare tensors. */
export function relativeError(actual: ArrayLike<number>, reference: ArrayLike<number>): number {
  if (actual.length !== reference.length) return Infinity;
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < reference.length; i++) {
    const d = Math.abs(actual[i]! - reference[i]!);
    if (!(d <= maxDiff)) maxDiff = d; // NaN propagates as a failure
    maxRef = Math.max(maxRef, Math.abs(reference[i]!));
  }
  if (Number.isNaN(maxDiff)) return NaN;
  return maxRef === 0 ? maxDiff : maxDiff / maxRef;
}

export function shapeEquals(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
