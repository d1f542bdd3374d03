import { describe, expect, it } from 'vitest';
import { Graph } from './graph.js';
import { encodeModel, int64Bytes, IR_VERSION, OPSET_VERSION } from './proto.js';
import { OnnxSession } from './session.js';

describe('ModelProto writer', () => {
  it('starts with ir_version 8 and declares default-domain opset 17', () => {
    const bytes = encodeModel({ name: 'empty', nodes: [], inputs: [], outputs: [], initializers: [] });
    expect(IR_VERSION).toBe(8);
    expect(OPSET_VERSION).toBe(17);
    expect(Array.from(bytes.subarray(0, 2))).toEqual([0x08, 8]); // field 1 (varint) = 8
    // OperatorSetIdProto { domain: '', version: 17 } as field 8 at the end
    expect(Array.from(bytes.subarray(-6))).toEqual([0x42, 4, 0x0a, 0, 0x10, 17]);
  });

  it('writes int64 values, negative ones included, as little-endian two’s complement', () => {
    expect(Array.from(int64Bytes([-1, 2]))).toEqual([255, 255, 255, 255, 255, 255, 255, 255, 2, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('encodes a negative int attribute and an int64 initializer so that onnxruntime reads them back', async () => {
    const g = new Graph('neg');
    const x = g.input('x', [2, 3]);
    const sm = g.op1('Softmax', [x], { axis: -1 });
    g.output(g.rename(g.op1('Slice', [sm, g.constInt64([-2]), g.constInt64([3]), g.constInt64([-1])]), 'y'));
    const session = await OnnxSession.create(g.toModel());
    const data = Float32Array.from([0, 1, 2, 3, 3, 3]);
    const y = (await session.run({ x: { dims: [2, 3], data } })).y!;
    const row = (a: number[]): number[] => a.map((v) => Math.exp(v) / a.reduce((s, u) => s + Math.exp(u), 0));
    const expected = [...row([0, 1, 2]).slice(1), ...row([3, 3, 3]).slice(1)];
    expect(y.dims).toEqual([2, 2]);
    y.data.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
    await session.release();
  });
});
