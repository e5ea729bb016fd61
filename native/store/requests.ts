/** Deletion requests: who asked for which class to be forgotten, and the run that honoured it. */
import { UserError } from '../errors';
import { type Db, now, write } from './db';
import { appendEvent } from './events';

export type RequestStatus = 'open' | 'honoured';

export interface RequestRow {
  id: number;
  requester: string;
  datasetId: number;
  classIndex: number;
  className: string;
  status: RequestStatus;
  honouredByRunId: number | null;
  honouredAt: string | null;
  createdAt: string;
}

interface RawRequest {
  id: number;
  requester: string;
  dataset_id: number;
  class_index: number;
  class_name: string;
  status: RequestStatus;
  honoured_by_run_id: number | null;
  honoured_at: string | null;
  created_at: string;
}

function toRow(r: RawRequest): RequestRow {
  return {
    id: r.id,
    requester: r.requester,
    datasetId: r.dataset_id,
    classIndex: r.class_index,
    className: r.class_name,
    status: r.status,
    honouredByRunId: r.honoured_by_run_id,
    honouredAt: r.honoured_at,
    createdAt: r.created_at,
  };
}

export interface NewRequest {
  requester: string;
  datasetId: number;
  classIndex: number;
  className: string;
}

export function createRequest(db: Db, r: NewRequest): RequestRow {
  const id = write(db, () => {
    const info = db
      .prepare(
        `INSERT INTO deletion_requests (requester, dataset_id, class_index, class_name, status, created_at)
         VALUES (?, ?, ?, ?, 'open', ?)`,
      )
      .run(r.requester, r.datasetId, r.classIndex, r.className, now());
    const requestId = Number(info.lastInsertRowid);
    appendEvent(db, {
      kind: 'request.created',
      requestId,
      datasetId: r.datasetId,
      details: { requester: r.requester, classIndex: r.classIndex, className: r.className },
    });
    return requestId;
  });
  return getRequest(db, id);
}

export function getRequest(db: Db, id: number): RequestRow {
  const r = db.prepare('SELECT * FROM deletion_requests WHERE id = ?').get(id) as RawRequest | undefined;
  if (!r) throw new UserError(`no deletion request ${id} in this project`);
  return toRow(r);
}

export function listRequests(db: Db): RequestRow[] {
  return (db.prepare('SELECT * FROM deletion_requests ORDER BY id').all() as RawRequest[]).map(toRow);
}

/** Marks an open request as honoured by `runId` (call inside the run's result transaction). */
export function honourRequest(db: Db, requestId: number, runId: number): void {
  write(db, () => {
    const changed = db
      .prepare(
        `UPDATE deletion_requests SET status = 'honoured', honoured_by_run_id = ?, honoured_at = ?
         WHERE id = ? AND status = 'open'`,
      )
      .run(runId, now(), requestId).changes;
    if (changed !== 1) throw new Error(`deletion request ${requestId} is not open`);
    appendEvent(db, { kind: 'request.honoured', requestId, runId });
  });
}
