import type { ParamSet, Tensor } from '@gradscope/core';
import { gateCount, paramShapes, type NetworkSpec } from '@gradscope/core';
import { createMatrix, type Matrix } from './engine.js';

/**
 * One PyTorch parameter held as brain.js matrices: a stacked gate tensor (`weight_ih_l0` is `[4H, in]` for an LSTM)
 * becomes one matrix per gate, in PyTorch's gate order. Rows of the PyTorch tensor are consecutive in the pieces,
 * so the row-major data is the pieces' weights one after another. Biases are `[rows, 1]` column matrices.
 */
export interface ParamBinding {
  readonly name: string;
  readonly shape: readonly number[];
  readonly pieces: readonly Matrix[];
}

function bind(name: string, shape: readonly number[], pieceCount: number): ParamBinding {
  const rows = shape[0]! / pieceCount;
  const columns = shape[1] ?? 1;
  return { name, shape, pieces: Array.from({ length: pieceCount }, () => createMatrix(rows, columns)) };
}

/** The brain.js matrices of a faithful network, named and shaped as PyTorch's `state_dict`. */
export function bindParams(spec: NetworkSpec): Map<string, ParamBinding> {
  const gates = spec.kind === 'recurrent' ? gateCount(spec.cell) : 1;
  const out = new Map<string, ParamBinding>();
  for (const { name, shape } of paramShapes(spec)) {
    const stacked = spec.kind === 'recurrent' && !name.startsWith('fc.');
    out.set(name, bind(name, shape, stacked ? gates : 1));
  }
  return out;
}

/** The binding for a name, or a clear error naming it (a programming error, never user input). */
export function binding(bindings: Map<string, ParamBinding>, name: string): ParamBinding {
  const b = bindings.get(name);
  if (!b) throw new Error(`no brain.js matrix bound to ${name}`);
  return b;
}

/** Copies validated PyTorch-layout parameters into the matrices. */
export function loadParams(bindings: Map<string, ParamBinding>, params: ParamSet): void {
  for (const b of bindings.values()) {
    const data = params[b.name]!.data;
    let offset = 0;
    for (const m of b.pieces) {
      m.weights.set(data.subarray(offset, offset + m.weights.length));
      offset += m.weights.length;
    }
  }
}

function gather(b: ParamBinding, field: 'weights' | 'deltas'): Tensor {
  const data = new Float32Array(b.pieces.reduce((n, m) => n + m[field].length, 0));
  let offset = 0;
  for (const m of b.pieces) {
    data.set(m[field], offset);
    offset += m[field].length;
  }
  return { shape: [...b.shape], data };
}

/** The matrices' weights in PyTorch layout. */
export function readParams(bindings: Map<string, ParamBinding>): ParamSet {
  const out: ParamSet = {};
  for (const b of bindings.values()) out[b.name] = gather(b, 'weights');
  return out;
}

/** The matrices' deltas (gradients after a backward pass) in PyTorch layout. */
export function readGrads(bindings: Map<string, ParamBinding>): ParamSet {
  const out: ParamSet = {};
  for (const b of bindings.values()) out[b.name] = gather(b, 'deltas');
  return out;
}
