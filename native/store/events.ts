/**
 * The audit trail: one row per thing that happened to the project. Rows are never updated or deleted
 * (triggers forbid it) and each row's hash covers the previous row's hash, so `verifyEventChain` notices
 * a row edited, removed or inserted behind the application's back.
 */
import * as os from 'node:os';
import { type Db, now, sha256, write } from './db';

export type EventKind =
  | 'project.created'
  | 'project.migrated'
  | 'dataset.imported'
  | 'checkpoint.created'
  | 'checkpoint.current'
  | 'checkpoint.rollback'
  | 'request.created'
  | 'request.honoured'
  | 'run.created'
  | 'run.started'
  | 'run.succeeded'
  | 'run.failed'
  | 'run.cancelled'
  | 'run.interrupted'
  | 'concept-bank.created';

export type EventDetails = Record<string, unknown>;

export interface EventInput {
  kind: EventKind;
  datasetId?: number | null;
  checkpointId?: number | null;
  requestId?: number | null;
  runId?: number | null;
  details?: EventDetails;
}

export interface EventRow {
  id: number;
  at: string;
  kind: EventKind;
  actor: string;
  datasetId: number | null;
  checkpointId: number | null;
  requestId: number | null;
  runId: number | null;
  details: EventDetails;
  hash: string;
}

interface RawEvent {
  id: number;
  at: string;
  kind: string;
  actor: string;
  dataset_id: number | null;
  checkpoint_id: number | null;
  request_id: number | null;
  run_id: number | null;
  details: string;
  prev_hash: string;
  hash: string;
}

const GENESIS = '0'.repeat(64);

let actorName: string | undefined;

/** Who acts: the operating-system user running the process (and the host). */
export function actor(): string {
  if (actorName === undefined) {
    let user = 'unknown';
    try {
      user = os.userInfo().username;
    } catch {
      // No user database entry (some containers): keep 'unknown'.
    }
    actorName = `${user}@${os.hostname()}`;
  }
  return actorName;
}

function eventHash(prev: string, e: Omit<RawEvent, 'id' | 'prev_hash' | 'hash'>): string {
  const body = JSON.stringify([
    e.at,
    e.kind,
    e.actor,
    e.dataset_id,
    e.checkpoint_id,
    e.request_id,
    e.run_id,
    e.details,
  ]);
  return sha256(prev, '\n', body);
}

/** Appends one event (inside the caller's transaction when there is one). */
export function appendEvent(db: Db, e: EventInput): EventRow {
  return write(db, () => {
    const last = db.prepare('SELECT hash FROM events ORDER BY id DESC LIMIT 1').get() as
      | { hash: string }
      | undefined;
    const prev = last?.hash ?? GENESIS;
    const row = {
      at: now(),
      kind: e.kind,
      actor: actor(),
      dataset_id: e.datasetId ?? null,
      checkpoint_id: e.checkpointId ?? null,
      request_id: e.requestId ?? null,
      run_id: e.runId ?? null,
      details: JSON.stringify(e.details ?? {}),
    };
    const hash = eventHash(prev, row);
    const info = db
      .prepare(
        `INSERT INTO events (at, kind, actor, dataset_id, checkpoint_id, request_id, run_id, details, prev_hash, hash)
         VALUES (@at, @kind, @actor, @dataset_id, @checkpoint_id, @request_id, @run_id, @details, @prev, @hash)`,
      )
      .run({ ...row, prev, hash });
    return toRow({ ...row, id: Number(info.lastInsertRowid), prev_hash: prev, hash });
  });
}

function toRow(r: RawEvent): EventRow {
  let details: EventDetails;
  try {
    details = JSON.parse(r.details) as EventDetails;
  } catch {
    details = { unreadable: r.details };
  }
  return {
    id: r.id,
    at: r.at,
    kind: r.kind as EventKind,
    actor: r.actor,
    datasetId: r.dataset_id,
    checkpointId: r.checkpoint_id,
    requestId: r.request_id,
    runId: r.run_id,
    details,
    hash: r.hash,
  };
}

export interface EventFilter {
  runId?: number;
  requestId?: number;
}

export function listEvents(db: Db, filter: EventFilter = {}): EventRow[] {
  const where: string[] = [];
  const params: number[] = [];
  if (filter.runId !== undefined) {
    where.push('run_id = ?');
    params.push(filter.runId);
  }
  if (filter.requestId !== undefined) {
    where.push('request_id = ?');
    params.push(filter.requestId);
  }
  const sql = `SELECT * FROM events ${where.length ? `WHERE ${where.join(' OR ')}` : ''} ORDER BY id`;
  return (db.prepare(sql).all(...params) as RawEvent[]).map(toRow);
}

export interface ChainCheck {
  ok: boolean;
  count: number;
  /** The first event whose hash does not follow from its content and its predecessor. */
  firstBadId?: number;
}

/** Recomputes the hash chain of the whole trail. */
export function verifyEventChain(db: Db): ChainCheck {
  let prev = GENESIS;
  let count = 0;
  for (const r of db.prepare('SELECT * FROM events ORDER BY id').iterate() as IterableIterator<RawEvent>) {
    count++;
    if (r.prev_hash !== prev || eventHash(prev, r) !== r.hash) return { ok: false, count, firstBadId: r.id };
    prev = r.hash;
  }
  return { ok: true, count };
}
