/**
 * Large byte strings in the project file. better-sqlite3 has no incremental blob API and SQLite caps a
 * value at 1 GB, so a blob is a `blobs` row (kind, total size, sha256) plus `blob_chunks` rows of at most
 * CHUNK_BYTES each, written and read one chunk at a time. Reading checks the size and the hash.
 */
import { createHash } from 'node:crypto';
import { UserError } from '../errors';
import { type Db, sha256 } from './db';

export const CHUNK_BYTES = 4 * 1024 * 1024;

export type BlobKind =
  | 'pixels'
  | 'labels'
  | 'weights'
  | 'concept_bank'
  | 'text_samples'
  | 'safetensors'
  | 'vocab'
  | 'merges';

export interface BlobInfo {
  id: number;
  kind: BlobKind;
  size: number;
  sha256: string;
}

/** Stores `data` as a new blob. Call inside a write transaction: a blob is several rows. */
export function writeBlob(db: Db, kind: BlobKind, data: Uint8Array, chunkBytes = CHUNK_BYTES): BlobInfo {
  if (!db.inTransaction) throw new Error('writeBlob must run inside a transaction');
  const hash = sha256(data);
  const info = db
    .prepare('INSERT INTO blobs (kind, size, chunk_size, sha256) VALUES (?, ?, ?, ?)')
    .run(kind, data.byteLength, chunkBytes, hash);
  const id = Number(info.lastInsertRowid);
  const insert = db.prepare('INSERT INTO blob_chunks (blob_id, seq, data) VALUES (?, ?, ?)');
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  for (let off = 0, seq = 0; off < bytes.length || seq === 0; off += chunkBytes, seq++) {
    insert.run(id, seq, bytes.subarray(off, Math.min(bytes.length, off + chunkBytes)));
  }
  return { id, kind, size: data.byteLength, sha256: hash };
}

export function blobInfo(db: Db, id: number): BlobInfo | undefined {
  return db.prepare('SELECT id, kind, size, sha256 FROM blobs WHERE id = ?').get(id) as BlobInfo | undefined;
}

/**
 * Reads a blob back, chunk by chunk, and checks its size and sha256. `what` names it for people
 * ("the weights of checkpoint 3"); a damaged blob is a UserError naming it.
 */
export function readBlob(db: Db, id: number, what: string): Buffer {
  const info = blobInfo(db, id);
  if (!info) throw new UserError(`the project file is damaged: ${what} (blob ${id}) is missing`);
  const out = Buffer.alloc(info.size);
  const hash = createHash('sha256');
  let off = 0;
  let expectSeq = 0;
  const chunks = db
    .prepare('SELECT seq, data FROM blob_chunks WHERE blob_id = ? ORDER BY seq')
    .iterate(id) as IterableIterator<{ seq: number; data: Buffer }>;
  for (const { seq, data } of chunks) {
    if (seq !== expectSeq || off + data.length > info.size) {
      throw new UserError(
        `the project file is damaged: ${what} has ${seq !== expectSeq ? `a missing chunk (${expectSeq})` : 'more bytes than recorded'}`,
      );
    }
    data.copy(out, off);
    hash.update(data);
    off += data.length;
    expectSeq++;
  }
  if (off !== info.size) {
    throw new UserError(`the project file is damaged: ${what} is truncated (${off} of ${info.size} bytes)`);
  }
  const actual = hash.digest('hex');
  if (actual !== info.sha256) {
    throw new UserError(
      `the project file is damaged: ${what} does not match its sha256 (stored ${info.sha256.slice(0, 12)}…, read ${actual.slice(0, 12)}…)`,
    );
  }
  return out;
}
