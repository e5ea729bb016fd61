/**
 * The IDX file format of MNIST-style datasets (http://yann.lecun.com/exdb/mnist/):
 *
 *   bytes 0-1  zero
 *   byte  2    data type (only 0x08, unsigned byte, is supported)
 *   byte  3    number of dimensions
 *   then one big-endian uint32 per dimension, then the data (row-major).
 *
 * So images are magic 0x00000803 ([count, rows, cols]) and labels 0x00000801 ([count]).
 * Files whose name ends in `.gz` (or that start with the gzip signature) are decompressed first.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { UserError } from '../errors';

/** The contents of one IDX file: its dimensions and its bytes (row-major). */
export interface IdxArray {
  dims: number[];
  /** prod(dims) bytes; may be a view (byteOffset > 0) into the file's buffer. */
  data: Uint8Array;
}

const UBYTE = 0x08;
const TYPE_NAMES: Record<number, string> = {
  8: 'unsigned byte',
  9: 'signed byte',
  11: 'short',
  12: 'int',
  13: 'float',
  14: 'double',
};

function hex32(v: number): string {
  return `0x${(v >>> 0).toString(16).padStart(8, '0')}`;
}

function isGzip(buf: Uint8Array): boolean {
  return buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;
}

function readBytes(path: string): Buffer {
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new UserError(`IDX file not found: ${path}`);
    throw new UserError(`cannot read IDX file: ${path} (${(err as Error).message})`);
  }
  if (!isFile) throw new UserError(`not a file: ${path} (expected an IDX file)`);
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    throw new UserError(`cannot read IDX file: ${path} (${(err as Error).message})`);
  }
  if (path.toLowerCase().endsWith('.gz') || isGzip(buf)) {
    try {
      buf = gunzipSync(buf);
    } catch (err) {
      throw new UserError(`corrupt gzip file: ${path} (${(err as Error).message})`);
    }
  }
  return buf;
}

/**
 * Parses IDX bytes (already decompressed). `name` (usually the path) is used in error messages.
 * The returned data is a view into `buf` when `buf` owns its whole ArrayBuffer, else a copy.
 */
export function parseIdx(buf: Uint8Array, name: string): IdxArray {
  if (buf.length < 4) {
    throw new UserError(`truncated IDX file: ${name} (${buf.length} bytes, shorter than the 4-byte header)`);
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magic = view.getUint32(0, false);
  if (buf[0] !== 0 || buf[1] !== 0 || buf[3] === 0) {
    throw new UserError(
      `not an IDX file: ${name} (magic number ${hex32(magic)}, expected 0x00000803 for images or 0x00000801 for labels)`,
    );
  }
  const type = buf[2];
  if (type !== UBYTE) {
    const typeName = TYPE_NAMES[type] ?? 'unknown';
    throw new UserError(
      `unsupported IDX data type 0x${type.toString(16).padStart(2, '0')} (${typeName}) in ${name}: only unsigned bytes (0x08) are supported`,
    );
  }
  const ndims = buf[3];
  const headerBytes = 4 + 4 * ndims;
  if (buf.length < headerBytes) {
    throw new UserError(
      `truncated IDX file: ${name} (${buf.length} bytes, shorter than the ${headerBytes}-byte header of ${ndims} dimensions)`,
    );
  }
  const dims: number[] = [];
  let expected = 1;
  for (let i = 0; i < ndims; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    expected *= d;
  }
  const found = buf.length - headerBytes;
  if (found !== expected) {
    const what = found < expected ? 'truncated IDX file' : 'IDX file has trailing data';
    throw new UserError(
      `${what}: ${name} (dimensions ${dims.join('x')} need ${expected} data bytes, found ${found})`,
    );
  }
  // Avoid copying big files (tens of MB): when `buf` owns its memory, the data is a view into it.
  const owns = buf.byteOffset === 0 && buf.buffer.byteLength === buf.byteLength;
  let data: Uint8Array;
  if (owns) {
    data = new Uint8Array(buf.buffer, headerBytes, expected);
  } else {
    data = new Uint8Array(expected); // a plain Uint8Array, even when `buf` is a Buffer
    data.set(buf.subarray(headerBytes));
  }
  return { dims, data };
}

/** Reads an IDX file of unsigned bytes (gzip-compressed when the name ends in `.gz`). Throws UserError. */
export function readIdx(path: string): IdxArray {
  return parseIdx(readBytes(path), path);
}

/** Encodes an array of unsigned bytes as IDX (magic 0x000008NN, NN = number of dimensions). */
export function encodeIdx(arr: IdxArray): Buffer {
  const { dims, data } = arr;
  if (dims.length < 1 || dims.length > 255)
    throw new RangeError(`IDX needs 1..255 dimensions, got ${dims.length}`);
  let expected = 1;
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0 || d > 0xffffffff) throw new RangeError(`bad IDX dimension ${d}`);
    expected *= d;
  }
  if (data.length !== expected) {
    throw new RangeError(`IDX dimensions ${dims.join('x')} need ${expected} bytes, got ${data.length}`);
  }
  const headerBytes = 4 + 4 * dims.length;
  const out = Buffer.alloc(headerBytes + data.length);
  out[2] = UBYTE;
  out[3] = dims.length;
  dims.forEach((d, i) => out.writeUInt32BE(d, 4 + 4 * i));
  out.set(data, headerBytes);
  return out;
}

/** Writes an IDX file of unsigned bytes, gzip-compressed when the name ends in `.gz`. */
export function writeIdx(path: string, arr: IdxArray): void {
  const bytes = encodeIdx(arr);
  writeFileSync(path, path.toLowerCase().endsWith('.gz') ? gzipSync(bytes) : bytes);
}
