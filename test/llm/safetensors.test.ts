/**
 * The safetensors reader and writer: round trips, the F16 / BF16 conversions against PyTorch's (the
 * fixture's dtypes.safetensors) and IEEE 754 bit patterns, and malformed files.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UserError } from '../../native/errors';
import {
  type NamedTensor,
  bfloat16ToFloat,
  halfToFloat,
  readSafetensors,
  writeSafetensors,
} from '../../native/llm/checkpoint/safetensors';
import { expectations, fixtureBytes } from './fixture';

/** A safetensors file from a header object and raw data (built by hand, independently of the writer). */
function handMade(header: unknown, data: Uint8Array, headerLength?: number): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength ?? json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function userError(pattern: RegExp) {
  return (err: Error) => err instanceof UserError && pattern.test(err.message);
}

describe('safetensors', () => {
  it('writes float32 tensors that read back bit-identical, header padded to 8 bytes', () => {
    const tensors: NamedTensor[] = [
      { name: 'a', shape: [2, 3], data: Float32Array.from([1, -2.5, 3e-38, Math.PI, -0, 65504]) },
      { name: 'scalar', shape: [], data: Float32Array.from([7]) },
      { name: 'empty', shape: [0, 4], data: new Float32Array(0) },
      { name: 'b', shape: [4], data: Float32Array.from([Number.POSITIVE_INFINITY, -1e30, 1e-45, 0.1]) },
    ];
    const bytes = writeSafetensors(tensors, { format: 'pt' });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assert.equal(headerLength % 8, 0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
    assert.deepEqual(header.__metadata__, { format: 'pt' });
    assert.deepEqual(header.a, { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
    // Raw little-endian data right after the header.
    assert.equal(new DataView(bytes.buffer).getFloat32(8 + headerLength + 4, true), -2.5);
    const back = readSafetensors(bytes);
    assert.deepEqual([...back.keys()], ['a', 'scalar', 'empty', 'b']);
    for (const t of tensors) {
      const r = back.get(t.name)!;
      assert.deepEqual(r.shape, t.shape);
      assert.deepEqual(new Uint32Array(r.data.buffer), new Uint32Array(t.data.buffer));
    }
  });

  it('converts F16 and BF16 exactly as PyTorch does (fixture dtypes.safetensors)', () => {
    const read = readSafetensors(fixtureBytes('dtypes.safetensors'));
    for (const [name, { shape, values }] of Object.entries(expectations().dtypes)) {
      const t = read.get(name)!;
      assert.deepEqual(t.shape, shape);
      assert.deepEqual(
        [...t.data],
        values.map((v) => Math.fround(v)),
        name,
      );
    }
  });

  it('decodes IEEE half and bfloat16 bit patterns', () => {
    const half: [number, number][] = [
      [0x3c00, 1],
      [0xc000, -2],
      [0x3555, 0.333251953125],
      [0x7bff, 65504],
      [0x0400, 2 ** -14], // smallest normal
      [0x0001, 2 ** -24], // smallest subnormal
      [0x03ff, 1023 * 2 ** -24], // largest subnormal
      [0x8000, -0],
      [0x7c00, Number.POSITIVE_INFINITY],
      [0xfc00, Number.NEGATIVE_INFINITY],
    ];
    for (const [bits, value] of half)
      assert.ok(Object.is(halfToFloat(bits), value), `half 0x${bits.toString(16)}`);
    assert.ok(Number.isNaN(halfToFloat(0x7e00)));
    const bf: [number, number][] = [
      [0x3f80, 1],
      [0xc0a0, -5],
      [0x4049, 3.140625],
      [0x0001, 2 ** -133],
      [0x7f80, Number.POSITIVE_INFINITY],
    ];
    for (const [bits, value] of bf)
      assert.ok(Object.is(bfloat16ToFloat(bits), value), `bf16 0x${bits.toString(16)}`);
  });

  it('skips the tensors not asked for, whatever their dtype', () => {
    const data = new Uint8Array(12);
    new DataView(data.buffer).setFloat32(8, 2.5, true);
    const bytes = handMade(
      {
        mask: { dtype: 'BOOL', shape: [8], data_offsets: [0, 8] },
        w: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
      },
      data,
    );
    const read = readSafetensors(bytes, 'x', (name) => name !== 'mask');
    assert.deepEqual([...read.keys()], ['w']);
    assert.deepEqual([...read.get('w')!.data], [2.5]);
    assert.throws(
      () => readSafetensors(bytes, 'x'),
      userError(/tensor mask has dtype BOOL; only F32, F16 and BF16/),
    );
  });

  it('refuses malformed files with a UserError naming the problem', () => {
    const good = { w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
    const data = new Uint8Array(8);
    const full = handMade(good, data);
    const cases: [Uint8Array, RegExp][] = [
      [new Uint8Array(5), /is truncated: 5 bytes, no header/],
      [handMade(good, data, 10_000), /has a header of 10000 bytes but the file is only/],
      [handMade(good, data).subarray(0, 20), /has a header of \d+ bytes but the file is only 20 bytes/],
      [new Uint8Array([2, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x7b]), /header that is not valid JSON/],
      [handMade([1, 2], new Uint8Array(0)), /header that is not a JSON object/],
      [
        handMade({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, data),
        /data_offsets \[0, 16\] outside its 8 data bytes/,
      ],
      [
        handMade({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, data),
        /tensor w \[3\] F32 needs 12 bytes/,
      ],
      [handMade({ w: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }, data), /invalid data_offsets/],
      [handMade({ w: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, data), /invalid shape/],
      [handMade({ w: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, data), /dtype I64; only F32/],
      [handMade({ w: { shape: [2], data_offsets: [0, 8] } }, data), /tensor w has no dtype/],
      [full.subarray(0, full.length - 4), /outside its 4 data bytes/],
    ];
    for (const [bytes, pattern] of cases)
      assert.throws(() => readSafetensors(bytes, 'model.safetensors'), userError(pattern));
  });
});
