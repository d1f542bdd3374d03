import { GradscopeError } from '@gradscope/core';
import {
  DataType,
  encodeModel,
  floatBytes,
  int64Bytes,
  type AttributeValue,
  type DataTypeCode,
  type Dim,
  type GraphValue,
  type ModelOptions,
  type NodeValue,
  type TensorValue,
  type ValueInfo,
} from './proto.js';

/** Attributes as plain values: integers, floats (`{ f: 0.01 }`), int lists, strings. */
export type Attrs = Record<string, number | { readonly f: number } | readonly number[] | string>;

/** A graph could not be built (an op used wrongly). A programming error inside the adapter, named precisely. */
export class GraphError extends GradscopeError {
  constructor(message: string) {
    super('ONNX_GRAPH', message);
  }
}

interface ValueMeta {
  readonly dims: readonly Dim[];
  readonly elemType: DataTypeCode;
}

export interface Node {
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: Attrs;
}

/**
 * A small ONNX graph builder that tracks every value's shape as it goes, so the backward generator can
 * unbroadcast and reshape gradients without running shape inference. Shapes are static except for symbolic
 * dimensions (strings) in export graphs.
 */
export class Graph {
  readonly nodes: Node[] = [];
  readonly inputs: ValueInfo[] = [];
  readonly outputs: ValueInfo[] = [];
  private readonly initializers: TensorValue[] = [];
  private readonly meta = new Map<string, ValueMeta>();
  /** Values of int64 constants, read by shape inference (Split sizes, Reshape targets, axes, ...). */
  private readonly intConsts = new Map<string, readonly number[]>();
  /** Small constants already in the graph, by shape and value, so repeated scalars share one initializer. */
  private readonly constCache = new Map<string, string>();
  /** Old handle → public name of node outputs `rename` renamed in place (no Identity node). */
  private readonly aliases = new Map<string, string>();
  private readonly produced = new Set<string>();
  private counter = 0;

  constructor(readonly name: string) {}

  private fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  private define(name: string, dims: readonly Dim[], elemType: DataTypeCode = DataType.FLOAT): string {
    if (this.meta.has(name)) throw new GraphError(`value "${name}" is defined twice`);
    this.meta.set(name, { dims: [...dims], elemType });
    return name;
  }

  has(name: string): boolean {
    return this.meta.has(name);
  }

  dims(name: string): readonly Dim[] {
    const m = this.meta.get(name);
    if (!m) throw new GraphError(`unknown value "${name}"`);
    return m.dims;
  }

  /** Static shape of a value; throws when it has a symbolic dimension. */
  shape(name: string): number[] {
    return this.dims(name).map((d) => {
      if (typeof d !== 'number') throw new GraphError(`value "${name}" has a symbolic dimension "${d}"`);
      return d;
    });
  }

  elemType(name: string): DataTypeCode {
    this.dims(name);
    return this.meta.get(name)!.elemType;
  }

  intValues(name: string): readonly number[] | undefined {
    return this.intConsts.get(name);
  }

  input(name: string, dims: readonly Dim[], elemType: DataTypeCode = DataType.FLOAT): string {
    this.define(name, dims, elemType);
    this.inputs.push({ name, elemType, dims: [...dims] });
    return name;
  }

  /** A named float tensor stored in the model (weights of an exported model, constants). */
  initializer(name: string, dims: readonly number[], data: ArrayLike<number>): string {
    this.define(name, dims);
    this.initializers.push({ name, dims: [...dims], dataType: DataType.FLOAT, raw: floatBytes(data) });
    return name;
  }

  constFloat(data: ArrayLike<number> | number, dims: readonly number[] = []): string {
    const values = typeof data === 'number' ? [data] : data;
    const key = values.length <= 16 ? `f[${dims}]${Array.from(values, (v) => Math.fround(v))}` : undefined;
    const cached = key && this.constCache.get(key);
    if (cached) return cached;
    const name = this.initializer(this.fresh('const'), dims, values);
    if (key) this.constCache.set(key, name);
    return name;
  }

  /** A 1-D int64 constant (shapes, axes, split sizes, pads). */
  constInt64(values: readonly number[]): string {
    const key = `i${values}`;
    const cached = this.constCache.get(key);
    if (cached) return cached;
    const name = this.define(this.fresh('ints'), [values.length], DataType.INT64);
    this.initializers.push({ name, dims: [values.length], dataType: DataType.INT64, raw: int64Bytes(values) });
    this.intConsts.set(name, [...values]);
    this.constCache.set(key, name);
    return name;
  }

  output(name: string): void {
    this.outputs.push({ name, elemType: this.elemType(name), dims: this.dims(name) });
  }

  /** Adds a node whose output shapes are inferred; returns its output names. */
  op(opType: string, inputs: readonly string[], attrs: Attrs = {}, outputCount = 1): string[] {
    for (const i of inputs) if (i !== '') this.dims(i);
    const node: Node = { opType, inputs: inputs.map((i) => this.resolve(i)), outputs: [], attrs };
    const shapes = inferShapes(this, node, outputCount);
    const outputs = shapes.map((s) => this.define(this.fresh(opType.toLowerCase()), s.dims, s.elemType));
    this.push({ ...node, outputs });
    return outputs;
  }

  /** `op` for a single-output node. */
  op1(opType: string, inputs: readonly string[], attrs: Attrs = {}): string {
    return this.op(opType, inputs, attrs, 1)[0]!;
  }

  /** Adds a node with explicitly given output shapes (ops without inference here, e.g. LSTM in export graphs). */
  opWithShapes(opType: string, inputs: readonly string[], attrs: Attrs, outputDims: readonly (readonly Dim[])[]): string[] {
    for (const i of inputs) if (i !== '') this.dims(i);
    const outputs = outputDims.map((d) => this.define(this.fresh(opType.toLowerCase()), d));
    this.push({ opType, inputs: inputs.map((i) => this.resolve(i)), outputs, attrs });
    return outputs;
  }

  /**
   * Gives a value a stable public name (graph outputs users fetch by name). A node's output is renamed at once, in its
   * producer and in every node that reads it, and the old handle keeps working for nodes added later; a graph input,
   * an initializer or a value renamed once already gets an Identity copy.
   */
  rename(value: string, name: string): string {
    this.define(name, this.dims(value), this.elemType(value));
    const v = this.resolve(value);
    if (this.produced.has(v) && v === value) {
      const swap = (names: readonly string[]): readonly string[] => (names.includes(v) ? names.map((x) => (x === v ? name : x)) : names);
      this.nodes.forEach((n, k) => {
        const [inputs, outputs] = [swap(n.inputs), swap(n.outputs)];
        if (inputs !== n.inputs || outputs !== n.outputs) this.nodes[k] = { ...n, inputs, outputs };
      });
      this.outputs.forEach((o, k) => o.name === v && (this.outputs[k] = { ...o, name }));
      this.produced.delete(v);
      this.produced.add(name);
      this.aliases.set(v, name);
    } else {
      this.push({ opType: 'Identity', inputs: [v], outputs: [name], attrs: {} });
    }
    return name;
  }

  /** The name a value is written under (its public name once renamed); every node input goes through it. */
  private resolve(value: string): string {
    return this.aliases.get(value) ?? value;
  }

  private push(node: Node): void {
    for (const o of node.outputs) this.produced.add(o);
    this.nodes.push(node);
  }

  toGraphValue(): GraphValue {
    const nodes: NodeValue[] = this.nodes.map((n, i) => ({
      opType: n.opType,
      name: `n${i}_${n.opType}`,
      inputs: n.inputs,
      outputs: n.outputs,
      attributes: Object.fromEntries(Object.entries(n.attrs).map(([k, v]) => [k, toAttribute(v)])),
    }));
    return { name: this.name, nodes, inputs: this.inputs, outputs: this.outputs, initializers: this.initializers };
  }

  /** Nodes by op type: the kernels a run of this graph launches, before onnxruntime's own fusions. */
  opCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const n of this.nodes) counts[n.opType] = (counts[n.opType] ?? 0) + 1;
    return counts;
  }

  toModel(options?: ModelOptions): Uint8Array {
    return encodeModel(this.toGraphValue(), options);
  }
}

function toAttribute(v: Attrs[string]): AttributeValue {
  if (typeof v === 'number') return { kind: 'int', value: v };
  if (typeof v === 'string') return { kind: 'string', value: v };
  if (Array.isArray(v)) return { kind: 'ints', value: v as readonly number[] };
  return { kind: 'float', value: (v as { f: number }).f };
}

// ---------------------------------------------------------------- shape inference

interface OutMeta {
  readonly dims: readonly Dim[];
  readonly elemType: DataTypeCode;
}

const sameShapeOps = new Set([
  'Identity', 'Relu', 'Tanh', 'Sigmoid', 'LeakyRelu', 'Erf', 'Exp', 'Log', 'Neg', 'Sign', 'Sqrt', 'Abs', 'Softmax', 'LogSoftmax',
]);
const broadcastOps = new Set(['Add', 'Sub', 'Mul', 'Div', 'Greater', 'Equal', 'Where']);
const boolOps = new Set(['Greater', 'Equal']);

function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

function intAttr(attrs: Attrs, name: string, fallback: number): number {
  const v = attrs[name];
  return typeof v === 'number' ? v : fallback;
}

function intsAttr(attrs: Attrs, name: string): readonly number[] | undefined {
  const v = attrs[name];
  return Array.isArray(v) ? (v as readonly number[]) : undefined;
}

function broadcast(shapes: readonly (readonly Dim[])[], where: string): Dim[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    for (const s of shapes) {
      const k = s[i - (rank - s.length)];
      if (k === undefined || k === 1) continue;
      if (d !== 1 && d !== k) throw new GraphError(`${where}: shapes [${shapes.map((x) => x.join(',')).join('] and [')}] do not broadcast`);
      d = k;
    }
    out.push(d);
  }
  return out;
}

/** Channels and spatial sizes of an `[N, C, ...]` input; only the batch dimension may be symbolic (export graphs). */
function channelsAndSpatial(dims: readonly Dim[], op: string): [number, number[]] {
  const rest = dims.slice(1);
  if (dims.length < 3 || rest.some((v) => typeof v !== 'number')) {
    throw new GraphError(`${op}: input [${dims}] must be [N, C, spatial...] with only N symbolic`);
  }
  return [rest[0] as number, rest.slice(1) as number[]];
}

function checkDims(actual: readonly Dim[], expected: readonly Dim[], what: string): void {
  if (actual.length !== expected.length || actual.some((v, i) => v !== expected[i])) {
    throw new GraphError(`${what}: shape [${actual}] should be [${expected}]`);
  }
}

/** Kernel, strides, pads and dilations of a windowed op (Conv, ConvTranspose, MaxPool), with ONNX defaults. */
export interface Window {
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  /** ONNX order: all begins, then all ends. */
  readonly pads: readonly number[];
  readonly dilations: readonly number[];
  /** Extent of one dilated kernel along spatial axis i. */
  span(i: number): number;
  /** Output spatial size for an input of spatial size `input` (floor mode). */
  outSize(input: readonly number[]): number[];
}

export function windowAttrs(attrs: Attrs, op: string, rank: number, kernelFromWeight?: readonly number[]): Window {
  const autoPad = attrs.auto_pad ?? 'NOTSET';
  if (autoPad !== 'NOTSET') throw new GraphError(`${op}: auto_pad "${String(autoPad)}" is not supported; give pads`);
  const kernel = intsAttr(attrs, 'kernel_shape') ?? kernelFromWeight;
  if (!kernel || kernel.length !== rank) throw new GraphError(`${op}: kernel_shape must have ${rank} entries`);
  if (kernelFromWeight && kernel.some((k, i) => k !== kernelFromWeight[i])) {
    throw new GraphError(`${op}: kernel_shape [${kernel}] differs from the weight's [${kernelFromWeight}]`);
  }
  const ones = kernel.map(() => 1);
  const strides = intsAttr(attrs, 'strides') ?? ones;
  const pads = intsAttr(attrs, 'pads') ?? [...ones, ...ones].map(() => 0);
  const dilations = intsAttr(attrs, 'dilations') ?? ones;
  if (strides.length !== rank || dilations.length !== rank || pads.length !== 2 * rank || pads.some((p) => p < 0)) {
    throw new GraphError(`${op}: strides/dilations need ${rank} entries and pads ${2 * rank} non-negative ones`);
  }
  const span = (i: number): number => dilations[i]! * (kernel[i]! - 1) + 1;
  return {
    kernel,
    strides,
    pads,
    dilations,
    span,
    outSize: (input) =>
      input.map((n, i) => {
        const room = n + pads[i]! + pads[i + rank]! - span(i);
        if (room < 0) throw new GraphError(`${op}: window ${span(i)} is larger than the padded input ${n + pads[i]! + pads[i + rank]!} on spatial axis ${i}`);
        return Math.floor(room / strides[i]!) + 1;
      }),
  };
}

function constInts(g: Graph, name: string | undefined, what: string): readonly number[] {
  const v = name ? g.intValues(name) : undefined;
  if (!v) throw new GraphError(`${what} must be an int64 constant of the graph`);
  return v;
}

function reduceDims(dims: readonly Dim[], axes: readonly number[] | undefined, keep: boolean): Dim[] {
  const set = new Set((axes && axes.length ? axes : dims.map((_, i) => i)).map((a) => normAxis(a, dims.length)));
  const out: Dim[] = [];
  dims.forEach((d, i) => {
    if (!set.has(i)) out.push(d);
    else if (keep) out.push(1);
  });
  return out;
}

function inferShapes(g: Graph, node: Node, outputCount: number): OutMeta[] {
  const { opType: op, inputs, attrs } = node;
  const d = (i: number): readonly Dim[] => g.dims(inputs[i]!);
  const float = (dims: readonly Dim[]): OutMeta[] => [{ dims, elemType: DataType.FLOAT }];
  if (sameShapeOps.has(op)) return [{ dims: d(0), elemType: g.elemType(inputs[0]!) }];
  if (broadcastOps.has(op)) {
    const dims = broadcast(inputs.map((_, i) => d(i)), op);
    const elemType = boolOps.has(op) ? DataType.BOOL : g.elemType(inputs[op === 'Where' ? 1 : 0]!);
    return [{ dims, elemType }];
  }
  switch (op) {
    case 'Cast':
      return [{ dims: d(0), elemType: intAttr(attrs, 'to', DataType.FLOAT) as DataTypeCode }];
    case 'Gemm': {
      const a = d(0);
      const b = d(1);
      const [m, k1] = intAttr(attrs, 'transA', 0) ? [a[1]!, a[0]!] : [a[0]!, a[1]!];
      const [k2, n] = intAttr(attrs, 'transB', 0) ? [b[1]!, b[0]!] : [b[0]!, b[1]!];
      if (a.length !== 2 || b.length !== 2 || k1 !== k2) throw new GraphError(`Gemm: inner dimensions ${k1} and ${k2} differ`);
      if (inputs[2]) broadcast([d(2), [m, n]], 'Gemm bias');
      return float([m, n]);
    }
    case 'MatMul': {
      const a = d(0);
      const b = d(1);
      if (a.length !== 2 || b.length !== 2 || a[1] !== b[0]) throw new GraphError(`MatMul: only 2-D [m,k]x[k,n] is supported, got [${a}]x[${b}]`);
      return float([a[0]!, b[1]!]);
    }
    case 'Split': {
      const x = d(0);
      const axis = normAxis(intAttr(attrs, 'axis', 0), x.length);
      const sizes = constInts(g, inputs[1], 'Split sizes');
      if (sizes.length !== outputCount) throw new GraphError(`Split: ${sizes.length} sizes for ${outputCount} outputs`);
      return sizes.map((s) => ({ dims: x.map((v, i) => (i === axis ? s : v)), elemType: g.elemType(inputs[0]!) }));
    }
    case 'Concat': {
      const x = d(0);
      const axis = normAxis(intAttr(attrs, 'axis', 0), x.length);
      let total = 0;
      for (let i = 0; i < inputs.length; i++) {
        const v = d(i)[axis];
        if (typeof v !== 'number') throw new GraphError('Concat: symbolic concat axis');
        total += v;
      }
      return [{ dims: x.map((v, i) => (i === axis ? total : v)), elemType: g.elemType(inputs[0]!) }];
    }
    case 'Slice': {
      const x = g.shape(inputs[0]!);
      const starts = constInts(g, inputs[1], 'Slice starts');
      const ends = constInts(g, inputs[2], 'Slice ends');
      const axes = inputs[3] ? constInts(g, inputs[3], 'Slice axes') : starts.map((_, i) => i);
      const out = [...x];
      axes.forEach((a, i) => {
        const ax = normAxis(a, x.length);
        const n = x[ax]!;
        const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + n : v, 0), n);
        out[ax] = Math.max(clamp(ends[i]!) - clamp(starts[i]!), 0);
      });
      return float(out);
    }
    case 'Pad': {
      const x = g.shape(inputs[0]!);
      const mode = attrs.mode ?? 'constant';
      if (mode !== 'constant') throw new GraphError(`Pad: only mode "constant" is supported, got "${String(mode)}"`);
      const pads = constInts(g, inputs[1], 'Pad pads');
      if (pads.length !== 2 * x.length) throw new GraphError(`Pad: ${pads.length} pads for a rank-${x.length} input (needs ${2 * x.length})`);
      return float(x.map((v, i) => v + pads[i]! + pads[i + x.length]!));
    }
    case 'Conv': {
      const x = d(0);
      const [channels, spatial] = channelsAndSpatial(x, op);
      const w = g.shape(inputs[1]!);
      const group = intAttr(attrs, 'group', 1);
      if (w.length !== x.length || channels !== w[1]! * group) {
        throw new GraphError(`Conv: weight [${w}] does not fit input [${x}] with group ${group} (weight must be [M, C/group, k...])`);
      }
      if (inputs[2]) checkDims(g.shape(inputs[2]), [w[0]!], 'Conv bias');
      return float([x[0]!, w[0]!, ...windowAttrs(attrs, op, spatial.length, w.slice(2)).outSize(spatial)]);
    }
    case 'ConvTranspose': {
      const x = d(0);
      const [channels, spatial] = channelsAndSpatial(x, op);
      const w = g.shape(inputs[1]!);
      const group = intAttr(attrs, 'group', 1);
      if (w.length !== x.length || channels !== w[0]) throw new GraphError(`ConvTranspose: weight [${w}] does not fit input [${x}] (weight must be [C, M/group, k...])`);
      if (attrs.output_shape !== undefined) throw new GraphError('ConvTranspose: give output_padding, not output_shape');
      const win = windowAttrs(attrs, op, spatial.length, w.slice(2));
      const extra = intsAttr(attrs, 'output_padding') ?? win.kernel.map(() => 0);
      const rank = spatial.length;
      return float([x[0]!, w[1]! * group, ...spatial.map((n, i) => win.strides[i]! * (n - 1) + extra[i]! + win.span(i) - win.pads[i]! - win.pads[i + rank]!)]);
    }
    case 'MaxPool': {
      const x = d(0);
      const [channels, spatial] = channelsAndSpatial(x, op);
      const kernel = intsAttr(attrs, 'kernel_shape');
      if (!kernel) throw new GraphError('MaxPool: kernel_shape is required');
      if (intAttr(attrs, 'ceil_mode', 0) !== 0) throw new GraphError('MaxPool: only ceil_mode 0 is supported');
      const dims = [x[0]!, channels, ...windowAttrs(attrs, op, spatial.length, kernel).outSize(spatial)];
      const out: OutMeta[] = [{ dims, elemType: DataType.FLOAT }];
      if (outputCount === 2) out.push({ dims, elemType: DataType.INT64 });
      return out;
    }
    case 'GlobalAveragePool': {
      const x = d(0);
      return float(x.map((v, i) => (i < 2 ? v : 1)));
    }
    case 'BatchNormalization': {
      const x = d(0);
      if (intAttr(attrs, 'training_mode', 0) !== 0) {
        throw new GraphError('BatchNormalization: training_mode is not supported (onnxruntime-web does not normalize with the batch statistics); use batchNormTraining');
      }
      for (let i = 1; i <= 4; i++) checkDims(g.shape(inputs[i]!), [x[1]!], `BatchNormalization input ${i}`);
      return float(x);
    }
    case 'ScatterElements': {
      const x = d(0);
      checkDims(g.shape(inputs[2]!), g.shape(inputs[1]!), 'ScatterElements updates');
      return [{ dims: x, elemType: g.elemType(inputs[0]!) }];
    }
    case 'Reshape': {
      const x = g.shape(inputs[0]!);
      const target = [...constInts(g, inputs[1], 'Reshape shape')].map((v, i) => (v === 0 ? x[i]! : v));
      const known = target.filter((v) => v !== -1).reduce((a, b) => a * b, 1);
      const size = x.reduce((a, b) => a * b, 1);
      const out = target.map((v) => (v === -1 ? size / known : v));
      if (out.reduce((a, b) => a * b, 1) !== size) throw new GraphError(`Reshape: [${x}] cannot become [${target}]`);
      return [{ dims: out, elemType: g.elemType(inputs[0]!) }];
    }
    case 'Expand': {
      return float(broadcast([d(0), constInts(g, inputs[1], 'Expand shape')], 'Expand'));
    }
    case 'Transpose': {
      const x = d(0);
      const perm = intsAttr(attrs, 'perm') ?? x.map((_, i) => x.length - 1 - i);
      return [{ dims: perm.map((p) => x[p]!), elemType: g.elemType(inputs[0]!) }];
    }
    case 'Squeeze': {
      const x = d(0);
      const axes = new Set(constInts(g, inputs[1], 'Squeeze axes').map((a) => normAxis(a, x.length)));
      return float(x.filter((_, i) => !axes.has(i)));
    }
    case 'Unsqueeze': {
      const x = [...d(0)];
      const axes = [...constInts(g, inputs[1], 'Unsqueeze axes')].map((a) => normAxis(a, x.length + 1)).sort((a, b) => a - b);
      for (const a of axes) x.splice(a, 0, 1);
      return float(x);
    }
    case 'ReduceSum': {
      const axes = inputs[1] ? constInts(g, inputs[1], 'ReduceSum axes') : undefined;
      return float(reduceDims(d(0), axes, intAttr(attrs, 'keepdims', 1) === 1));
    }
    case 'ReduceMean':
    case 'ReduceMax':
    case 'ReduceL2':
    case 'ReduceSumSquare':
      return [{ dims: reduceDims(d(0), intsAttr(attrs, 'axes'), intAttr(attrs, 'keepdims', 1) === 1), elemType: g.elemType(inputs[0]!) }];
    default:
      throw new GraphError(`no shape rule for op "${op}"`);
  }
}
