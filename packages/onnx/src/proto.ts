/**
 * ONNX ModelProto serialization: a protobuf writer for the few onnx.proto messages a model needs
 * (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto and the type/shape messages).
 * Field numbers follow onnx/onnx.proto (IR version 8). Only writing is needed: onnxruntime and the onnx checker
 * read the bytes.
 */

export const IR_VERSION = 8;
export const OPSET_VERSION = 17;

/** TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, BOOL: 9, INT64: 7, DOUBLE: 11 } as const;
export type DataTypeCode = (typeof DataType)[keyof typeof DataType];

/** A dimension: a fixed size, or a symbolic name (`batch`) for a size chosen at run time. */
export type Dim = number | string;

export interface TensorValue {
  readonly name: string;
  readonly dims: readonly number[];
  readonly dataType: DataTypeCode;
  /** Little-endian raw bytes (float32 or int64). */
  readonly raw: Uint8Array;
}

export type AttributeValue =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly kind: 'floats'; readonly value: readonly number[] }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'strings'; readonly value: readonly string[] }
  | { readonly kind: 'tensor'; readonly value: TensorValue };

export interface NodeValue {
  readonly opType: string;
  readonly name: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: Readonly<Record<string, AttributeValue>>;
}

export interface ValueInfo {
  readonly name: string;
  readonly elemType: DataTypeCode;
  readonly dims: readonly Dim[];
}

export interface GraphValue {
  readonly name: string;
  readonly nodes: readonly NodeValue[];
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  readonly initializers: readonly TensorValue[];
}

// AttributeProto.AttributeType
const AttrType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

const textEncoder = new TextEncoder();

/** Accumulates one protobuf message. Nested messages are written into their own writer and embedded. */
class Writer {
  private readonly chunks: number[] = [];

  private varint(v: bigint): void {
    // int64 fields encode negatives as their 64-bit two's complement (10 bytes), as protobuf does.
    let x = BigInt.asUintN(64, v);
    while (x >= 0x80n) {
      this.chunks.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.chunks.push(Number(x));
  }

  private tag(field: number, wire: 0 | 2 | 5): void {
    this.varint(BigInt((field << 3) | wire));
  }

  int(field: number, v: number): this {
    if (!Number.isSafeInteger(v)) throw new RangeError(`protobuf int field ${field}: ${v} is not a safe integer`);
    this.tag(field, 0);
    this.varint(BigInt(v));
    return this;
  }

  float(field: number, v: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.chunks.push(...b);
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2);
    this.varint(BigInt(b.length));
    for (let i = 0; i < b.length; i++) this.chunks.push(b[i]!);
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, textEncoder.encode(s));
  }

  message(field: number, m: Writer): this {
    return this.bytes(field, m.finish());
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}

function tensorProto(t: TensorValue): Writer {
  const w = new Writer();
  for (const d of t.dims) w.int(1, d);
  w.int(2, t.dataType).string(8, t.name).bytes(9, t.raw);
  return w;
}

function attributeProto(name: string, a: AttributeValue): Writer {
  const w = new Writer().string(1, name);
  switch (a.kind) {
    case 'float':
      return w.float(2, a.value).int(20, AttrType.FLOAT);
    case 'int':
      return w.int(3, a.value).int(20, AttrType.INT);
    case 'string':
      return w.string(4, a.value).int(20, AttrType.STRING);
    case 'tensor':
      return w.message(5, tensorProto(a.value)).int(20, AttrType.TENSOR);
    case 'floats':
      for (const f of a.value) w.float(7, f);
      return w.int(20, AttrType.FLOATS);
    case 'ints':
      for (const i of a.value) w.int(8, i);
      return w.int(20, AttrType.INTS);
    case 'strings':
      for (const s of a.value) w.string(9, s);
      return w.int(20, AttrType.STRINGS);
  }
}

function nodeProto(n: NodeValue): Writer {
  const w = new Writer();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name).string(4, n.opType);
  for (const [name, a] of Object.entries(n.attributes)) w.message(5, attributeProto(name, a));
  return w;
}

function valueInfoProto(v: ValueInfo): Writer {
  const shape = new Writer();
  for (const d of v.dims) shape.message(1, typeof d === 'number' ? new Writer().int(1, d) : new Writer().string(2, d));
  const tensorType = new Writer().int(1, v.elemType).message(2, shape);
  return new Writer().string(1, v.name).message(2, new Writer().message(1, tensorType));
}

function graphProto(g: GraphValue): Writer {
  const w = new Writer();
  for (const n of g.nodes) w.message(1, nodeProto(n));
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, tensorProto(t));
  for (const i of g.inputs) w.message(11, valueInfoProto(i));
  for (const o of g.outputs) w.message(12, valueInfoProto(o));
  return w;
}

export interface ModelOptions {
  readonly producerName?: string;
  readonly producerVersion?: string;
  readonly docString?: string;
}

/** Serializes a graph as an ONNX ModelProto (IR version 8, default-domain opset 17). */
export function encodeModel(graph: GraphValue, options: ModelOptions = {}): Uint8Array {
  const w = new Writer()
    .int(1, IR_VERSION)
    .string(2, options.producerName ?? 'gradscope')
    .string(3, options.producerVersion ?? '0.1.0');
  if (options.docString) w.string(6, options.docString);
  w.message(7, graphProto(graph));
  w.message(8, new Writer().string(1, '').int(2, OPSET_VERSION));
  return w.finish();
}

/** Float32 values as TensorProto raw bytes (little-endian). */
export function floatBytes(data: ArrayLike<number>): Uint8Array {
  const f = Float32Array.from(data as ArrayLike<number>);
  return littleEndian(new Uint8Array(f.buffer), 4);
}

/** Int64 values as TensorProto raw bytes (little-endian). */
export function int64Bytes(data: readonly number[]): Uint8Array {
  const b = new Uint8Array(data.length * 8);
  const view = new DataView(b.buffer);
  data.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return b;
}

const isLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function littleEndian(bytes: Uint8Array, width: number): Uint8Array {
  if (isLittleEndian) return bytes;
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += width) for (let j = 0; j < width; j++) out[i + j] = bytes[i + width - 1 - j]!;
  return out;
}
