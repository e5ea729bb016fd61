/** What every store module shares: the connection type, write transactions, time stamps, hashing, JSON. */
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { UserError } from '../errors';

export type Db = Database.Database;

/**
 * Runs `fn` in one IMMEDIATE transaction (nested calls become savepoints of the outer one).
 * IMMEDIATE takes the write lock up front: a deferred transaction that reads and then writes can fail
 * with SQLITE_BUSY in WAL mode without ever waiting on busy_timeout.
 */
export function write<T>(db: Db, fn: () => T): T {
  return db.transaction(fn).immediate();
}

/** Runs `fn` in one read transaction: every statement sees the same snapshot of the file. */
export function read<T>(db: Db, fn: () => T): T {
  return db.transaction(fn).deferred();
}

/** Time stamps are ISO 8601 UTC strings with milliseconds. */
export function now(): string {
  return new Date().toISOString();
}

export function sha256(...parts: (string | Uint8Array)[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

/** Parses a JSON column; a damaged value is reported with the table and row it came from. */
export function parseJson<T>(text: string | null, where: string): T | null {
  if (text === null) return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new UserError(`the project file is damaged: invalid JSON in ${where}`);
  }
}
