import * as tf from '@tensorflow/tfjs';

/** The part of tfjs-backend-wasm's `BackendWasm` a slice needs (its class is not exported with these members typed). */
interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

type Args = Parameters<tf.KernelFunc>[0];

/** Copies the box `begin`/`size` of `x` into a new output, reading only those elements from heap views. */
function sliceFromHeap(backend: WasmHeapBackend, x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
  const out = backend.makeOutput(size, x.dtype);
  if (tf.util.sizeFromShape(size) === 0) return out;
  // Views are taken after makeOutput: allocating can grow the heap, which detaches earlier views.
  const outVals = backend.typedArrayFromHeap(out);
  const xVals = backend.typedArrayFromHeap(x);
  const xStrides = tf.util.computeStrides(x.shape);
  if (tf.slice_util.isSliceContinous(x.shape, begin, size)) {
    const offset = tf.slice_util.computeFlatOffset(begin, xStrides);
    outVals.set(xVals.subarray(offset, offset + outVals.length));
    return out;
  }
  const last = x.shape.length - 1;
  let o = 0;
  const copy = (dim: number, base: number): void => {
    if (dim === last) {
      const from = base + begin[last]!;
      outVals.set(xVals.subarray(from, from + size[last]!), o);
      o += size[last]!;
      return;
    }
    for (let i = 0; i < size[dim]!; i++) copy(dim + 1, base + (begin[dim]! + i) * xStrides[dim]!);
  };
  copy(0, 0);
  return out;
}

function slice(args: Args): tf.TensorInfo {
  const x = args.inputs['x'] as tf.TensorInfo;
  const { begin, size } = args.attrs as unknown as { begin: number | number[]; size?: number | number[] };
  const [b, s] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size) as [number[], number[]];
  return sliceFromHeap(args.backend as unknown as WasmHeapBackend, x, b, s);
}

/** `tf.unstack`: one slice per index along `axis`, the axis dropped from each shape (as tfjs-backend-wasm's Unpack). */
function unpack(args: Args): tf.TensorInfo[] {
  const value = args.inputs['value'] as tf.TensorInfo;
  const rank = value.shape.length;
  const axis = ((args.attrs as unknown as { axis: number }).axis + rank) % rank;
  const outShape = value.shape.filter((_, i) => i !== axis);
  const begin = new Array<number>(rank).fill(0);
  const size = [...value.shape];
  size[axis] = 1;
  return Array.from({ length: value.shape[axis]! }, (_, i) => {
    begin[axis] = i;
    const { dataId, dtype } = sliceFromHeap(args.backend as unknown as WasmHeapBackend, value, begin, size);
    return { dataId, dtype, shape: outShape };
  });
}

/** `tf.split`: consecutive slices along `axis` (as tfjs-backend-wasm's SplitV). */
function splitV(args: Args): tf.TensorInfo[] {
  const x = args.inputs['x'] as tf.TensorInfo;
  const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
  const a = tf.util.parseAxisParam(axis, x.shape)[0]!;
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, a);
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((s) => {
    const size = [...x.shape];
    size[a] = s;
    const part = sliceFromHeap(args.backend as unknown as WasmHeapBackend, x, [...begin], size);
    begin[a]! += s;
    return part;
  });
}

let installed = false;

/**
 * tfjs-backend-wasm 4.22's Slice (which its Unpack and SplitV call) reads its whole input out of the wasm heap
 * (`readSync`, a copy) on every call, so `tf.unstack`/`tf.split` of a `[batch, T, …]` tensor copy it T times: the
 * recurrent step and the monitor's probes grew quadratically in T. These kernels copy only the sliced elements,
 * straight from heap views; the values are the same element copies, so results are bit-identical. Installed once per
 * process, for the wasm backend only; string tensors keep tfjs' own kernels.
 */
export function installCopyFreeWasmSlice(): void {
  if (installed) return;
  const replacements: [string, (args: Args) => tf.TensorInfo | tf.TensorInfo[]][] = [
    ['Slice', slice],
    ['Unpack', unpack],
    ['SplitV', splitV],
  ];
  const originals = replacements.map(([name]) => tf.getKernel(name, 'wasm'));
  if (originals.some((k) => !k)) return; // tfjs-backend-wasm not imported yet: nothing to replace
  installed = true;
  replacements.forEach(([name, own], i) => {
    const original = originals[i]!;
    const kernelFunc: tf.KernelFunc = (args) => {
      const first = Object.values(args.inputs)[0] as tf.TensorInfo;
      return first.dtype === 'string' ? original.kernelFunc(args) : own(args);
    };
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ ...original, kernelFunc });
  });
}
