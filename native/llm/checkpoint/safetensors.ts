/**
 * The safetensors format, read and written here: an 8-byte little-endian header length N, N bytes of
 * JSON ({name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {string: string}}, offsets
 * relative to the data that follows), then the tensors' raw little-endian data. F32 is read and
 * written; F16 and BF16 are read (converted to float32).
 */
import { UserError } from '../../errors';

export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

const BYTES_PER_ELEMENT = new Map<string, number>([
  ['F32', 4],
  ['F16', 2],
  ['BF16', 2],
]);

/** Headers larger than this are refused (the format's own limit is 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;

/**
 * The tensors of a safetensors file, by name (UserError for a malformed file or an unsupported dtype).
 * With `keep`, only the tensors it accepts are decoded (and need a supported dtype); every entry's
 * offsets are checked all the same.
 */
export function readSafetensors(
  bytes: Uint8Array,
  what = 'the safetensors file',
  keep: (name: string) => boolean = () => true,
): Map<string, NamedTensor> {
  if (bytes.length < 8) throw new UserError(`${what} is truncated: ${bytes.length} bytes, no header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > MAX_HEADER_BYTES || 8 + headerLength > bytes.length) {
    throw new UserError(
      `${what} has a header of ${headerLength} bytes but the file is only ${bytes.length} bytes`,
    );
  }
  let header: unknown;
  try {
    header = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)),
    );
  } catch (err) {
    throw new UserError(`${what} has a header that is not valid JSON (${(err as Error).message})`);
  }
  if (header == null || typeof header !== 'object' || Array.isArray(header)) {
    throw new UserError(`${what} has a header that is not a JSON object`);
  }
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const out = new Map<string, NamedTensor>();
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, begin, end } = checkEntry(name, entry, what);
    if (end > dataLength) {
      throw new UserError(
        `${what}: tensor ${name} has data_offsets [${begin}, ${end}] outside its ${dataLength} data bytes`,
      );
    }
    if (!keep(name)) continue;
    checkSize(name, dtype, shape, end - begin, what);
    out.set(name, { name, shape, data: decode(dtype, bytes, dataStart + begin, end - begin) });
  }
  return out;
}

function checkEntry(
  name: string,
  entry: unknown,
  what: string,
): { dtype: string; shape: number[]; begin: number; end: number } {
  const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
  if (e == null || typeof e !== 'object')
    throw new UserError(`${what}: the header entry of ${name} is not an object`);
  const { dtype, shape, data_offsets: offsets } = e;
  if (typeof dtype !== 'string') throw new UserError(`${what}: tensor ${name} has no dtype`);
  const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    throw new UserError(`${what}: tensor ${name} has an invalid shape ${JSON.stringify(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[1] < offsets[0]) {
    throw new UserError(`${what}: tensor ${name} has invalid data_offsets ${JSON.stringify(offsets)}`);
  }
  return { dtype, shape: shape as number[], begin: offsets[0] as number, end: offsets[1] as number };
}

function checkSize(name: string, dtype: string, shape: number[], bytes: number, what: string): void {
  const size = BYTES_PER_ELEMENT.get(dtype);
  if (size === undefined) {
    throw new UserError(`${what}: tensor ${name} has dtype ${dtype}; only F32, F16 and BF16 are supported`);
  }
  const elements = shape.reduce((a, b) => a * b, 1);
  if (bytes !== elements * size) {
    throw new UserError(
      `${what}: tensor ${name} [${shape}] ${dtype} needs ${elements * size} bytes, its data_offsets hold ${bytes}`,
    );
  }
}

function decode(dtype: string, bytes: Uint8Array, offset: number, length: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, length);
  if (dtype === 'F32') {
    const out = new Float32Array(length / 4);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
    return out;
  }
  const out = new Float32Array(length / 2);
  const convert = dtype === 'F16' ? halfToFloat : bfloat16ToFloat;
  for (let i = 0; i < out.length; i++) out[i] = convert(view.getUint16(i * 2, true));
  return out;
}

/** IEEE 754 half precision bits -> number (subnormals, infinities and NaN included). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

const bf16Scratch = new DataView(new ArrayBuffer(4));

/** bfloat16 bits (the top half of a float32) -> number. */
export function bfloat16ToFloat(b: number): number {
  bf16Scratch.setUint32(0, b << 16, false);
  return bf16Scratch.getFloat32(0, false);
}

/**
 * A safetensors file of float32 tensors, in the order given (the header padded with spaces to a
 * multiple of 8 bytes, as the reference implementation does), with optional string metadata.
 */
export function writeSafetensors(
  tensors: readonly NamedTensor[],
  metadata?: Record<string, string>,
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    const elements = t.shape.reduce((a, b) => a * b, 1);
    if (elements !== t.data.length) {
      throw new Error(`tensor ${t.name}: shape [${t.shape}] does not match its ${t.data.length} values`);
    }
    if (t.name in header) throw new Error(`tensor ${t.name} is given twice`);
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + 4 * elements] };
    offset += 4 * elements;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const spaced = new Uint8Array(padded).fill(0x20);
    spaced.set(json);
    json = spaced;
  }
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const t of tensors) {
    for (let i = 0; i < t.data.length; i++, at += 4) view.setFloat32(at, t.data[i], true);
  }
  return out;
}
