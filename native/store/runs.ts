/**
 * Unlearning runs and their life cycle:
 *
 *   queued → running → succeeded | failed | cancelled | interrupted
 *   interrupted | cancelled | failed → running (started again; `attempts` counts the starts)
 *
 * A run is `running` while a worker process (worker_pid on worker_host) owns it. Every transition is a
 * conditional UPDATE (status and owner checked in the same statement) plus an event, in one transaction.
 */
import * as os from 'node:os';
import { UserError } from '../errors';
import type { LmEvaluation } from '../llm/evaluation/evaluate';
import type { Evaluation } from '../unlearning/evaluate';
import type { MethodOptions } from '../unlearning/types';
import { getCheckpoint, requireCurrentCheckpoint } from './checkpoints';
import { type Db, now, parseJson, write } from './db';
import { appendEvent } from './events';
import { getRequest } from './requests';

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';
export type FinalRunStatus = Exclude<RunStatus, 'queued' | 'running'>;

/** Statuses from which a run may be started (again). */
export const STARTABLE: readonly RunStatus[] = ['queued', 'interrupted', 'cancelled', 'failed'];

/** evaluate()'s metrics plus the method's wall-clock time. */
export type RunMetrics = Evaluation & { seconds: number };

/** A language-model run's metrics: evaluateLm()'s plus the method's wall-clock time. */
export type LmRunMetrics = LmEvaluation & { seconds: number };

/** Whether stored metrics are a language model's (they have `forget_term_rate`). */
function isLmMetrics(m: object | null): m is LmEvaluation {
  return m !== null && Object.hasOwn(m, 'forget_term_rate');
}

export interface RunRow {
  id: number;
  requestId: number;
  method: string;
  parameters: MethodOptions;
  seed: number;
  forgetClass: number;
  status: RunStatus;
  inputCheckpointId: number;
  outputCheckpointId: number | null;
  /** Metrics of the output checkpoint (an image run; null for a language-model run). */
  metrics: RunMetrics | null;
  /** Metrics of the input checkpoint, same forget class and seed (an image run). */
  baselineMetrics: Evaluation | null;
  /** A language-model run's metrics of the output and of the input (null for an image run). */
  lmMetrics: LmRunMetrics | null;
  lmBaselineMetrics: LmEvaluation | null;
  error: string | null;
  attempts: number;
  workerPid: number | null;
  workerHost: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

interface RawRun {
  id: number;
  request_id: number;
  method: string;
  parameters: string;
  seed: number;
  forget_class: number;
  status: RunStatus;
  input_checkpoint_id: number;
  output_checkpoint_id: number | null;
  metrics: string | null;
  baseline_metrics: string | null;
  error: string | null;
  attempts: number;
  worker_pid: number | null;
  worker_host: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

function toRow(r: RawRun): RunRow {
  const where = `run ${r.id}`;
  const metrics = parseJson<RunMetrics | LmRunMetrics>(r.metrics, where);
  const baseline = parseJson<Evaluation | LmEvaluation>(r.baseline_metrics, where);
  return {
    id: r.id,
    requestId: r.request_id,
    method: r.method,
    parameters: parseJson<MethodOptions>(r.parameters, where) ?? {},
    seed: r.seed,
    forgetClass: r.forget_class,
    status: r.status,
    inputCheckpointId: r.input_checkpoint_id,
    outputCheckpointId: r.output_checkpoint_id,
    metrics: metrics !== null && !isLmMetrics(metrics) ? metrics : null,
    baselineMetrics: baseline !== null && !isLmMetrics(baseline) ? baseline : null,
    lmMetrics: isLmMetrics(metrics) ? (metrics as LmRunMetrics) : null,
    lmBaselineMetrics: isLmMetrics(baseline) ? baseline : null,
    error: r.error,
    attempts: r.attempts,
    workerPid: r.worker_pid,
    workerHost: r.worker_host,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

export function findRun(db: Db, id: number): RunRow | undefined {
  const r = db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RawRun | undefined;
  return r ? toRow(r) : undefined;
}

export function getRun(db: Db, id: number): RunRow {
  const run = findRun(db, id);
  if (!run) throw new UserError(`no run ${id} in this project`);
  return run;
}

export function listRuns(db: Db, filter: { requestId?: number } = {}): RunRow[] {
  const rows =
    filter.requestId === undefined
      ? db.prepare('SELECT * FROM runs ORDER BY id').all()
      : db.prepare('SELECT * FROM runs WHERE request_id = ? ORDER BY id').all(filter.requestId);
  return (rows as RawRun[]).map(toRow);
}

export interface NewRun {
  requestId: number;
  method: string;
  /** The method's effective parameters (defaults merged with what the user set). */
  parameters: MethodOptions;
  seed: number;
}

/**
 * Queues a run for a deletion request. Its input is the current checkpoint while the request is open;
 * once the request is honoured, later runs (a `retrain` for comparison, say) start from the same input
 * as the run that honoured it.
 */
export function createRun(db: Db, r: NewRun): RunRow {
  const id = write(db, () => {
    const request = getRequest(db, r.requestId);
    const input =
      request.status === 'honoured'
        ? getCheckpoint(db, getRun(db, request.honouredByRunId!).inputCheckpointId)
        : requireCurrentCheckpoint(db);
    if (input.datasetId !== request.datasetId) {
      throw new UserError(
        `deletion request ${request.id} is for dataset ${request.datasetId} but checkpoint ${input.id} was made for dataset ${input.datasetId}`,
      );
    }
    const info = db
      .prepare(
        `INSERT INTO runs (request_id, method, parameters, seed, forget_class, status, input_checkpoint_id, created_at)
         VALUES (?, ?, ?, ?, ?, 'queued', ?, ?)`,
      )
      .run(r.requestId, r.method, JSON.stringify(r.parameters), r.seed, request.classIndex, input.id, now());
    const runId = Number(info.lastInsertRowid);
    appendEvent(db, {
      kind: 'run.created',
      runId,
      requestId: r.requestId,
      checkpointId: input.id,
      details: { method: r.method, parameters: r.parameters, seed: r.seed, forgetClass: request.classIndex },
    });
    return runId;
  });
  return getRun(db, id);
}

/** Throws a UserError unless the run can be started now. */
export function checkStartable(db: Db, runId: number): RunRow {
  const run = getRun(db, runId);
  if (!STARTABLE.includes(run.status)) {
    throw new UserError(
      run.status === 'running'
        ? `run ${runId} is already running (worker process ${run.workerPid})`
        : `run ${runId} has ${run.status}; only a queued, interrupted, cancelled or failed run can be started`,
    );
  }
  return run;
}

/** Marks the run `running`, owned by worker `pid` on this host (parent side, before `start` is sent). */
export function claimRun(db: Db, runId: number, pid: number): RunRow {
  return write(db, () => {
    const run = checkStartable(db, runId);
    db.prepare(
      `UPDATE runs SET status = 'running', worker_pid = ?, worker_host = ?, attempts = attempts + 1,
         started_at = ?, finished_at = NULL, error = NULL
       WHERE id = ? AND status = ?`,
    ).run(pid, os.hostname(), now(), runId, run.status);
    appendEvent(db, {
      kind: 'run.started',
      runId,
      requestId: run.requestId,
      details: { workerPid: pid, attempt: run.attempts + 1, previousStatus: run.status },
    });
    return getRun(db, runId);
  });
}

/** True while `runId` is running and owned by worker `pid`. */
export function ownsRun(db: Db, runId: number, pid: number): boolean {
  const r = db
    .prepare("SELECT 1 FROM runs WHERE id = ? AND status = 'running' AND worker_pid = ?")
    .get(runId, pid);
  return r !== undefined;
}

/**
 * Ends a running run owned by `pid` with a status other than success (worker side for failed/cancelled,
 * parent side and recovery for interrupted). Returns false when the run was not running under `pid`
 * (someone else already ended it).
 */
export function endRun(
  db: Db,
  runId: number,
  pid: number,
  status: Exclude<FinalRunStatus, 'succeeded'>,
  error: string,
): boolean {
  return write(db, () => {
    const changed = db
      .prepare(
        `UPDATE runs SET status = ?, error = ?, finished_at = ?
         WHERE id = ? AND status = 'running' AND worker_pid = ?`,
      )
      .run(status, error, now(), runId, pid).changes;
    if (changed === 1) {
      const run = getRun(db, runId);
      appendEvent(db, {
        kind: `run.${status}`,
        runId,
        requestId: run.requestId,
        details: { error, workerPid: pid },
      });
    }
    return changed === 1;
  });
}

/** Records success (call inside the transaction that also stores the output checkpoint). */
export function completeRun(
  db: Db,
  runId: number,
  pid: number,
  outputCheckpointId: number,
  metrics: RunMetrics | LmRunMetrics,
  baseline: Evaluation | LmEvaluation,
  details: Record<string, unknown>,
): void {
  write(db, () => {
    const changed = db
      .prepare(
        `UPDATE runs SET status = 'succeeded', output_checkpoint_id = ?, metrics = ?, baseline_metrics = ?,
           error = NULL, finished_at = ?
         WHERE id = ? AND status = 'running' AND worker_pid = ?`,
      )
      .run(outputCheckpointId, JSON.stringify(metrics), JSON.stringify(baseline), now(), runId, pid).changes;
    if (changed !== 1) throw new Error(`run ${runId} is no longer owned by worker ${pid}`);
    const run = getRun(db, runId);
    appendEvent(db, {
      kind: 'run.succeeded',
      runId,
      requestId: run.requestId,
      checkpointId: outputCheckpointId,
      details: { ...details, seconds: metrics.seconds },
    });
  });
}

/** Whether a process exists (a zombie counts as existing; EPERM means it exists but is not ours). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Recovery on open: every run left `running` whose worker process no longer exists on this host becomes
 * `interrupted` (its input checkpoint was never modified; it can be started again). Runs owned by
 * another host are left alone: their worker cannot be checked from here. Returns the ids it marked.
 */
export function recoverInterruptedRuns(db: Db): number[] {
  const host = os.hostname();
  const running = db
    .prepare("SELECT id, worker_pid, worker_host FROM runs WHERE status = 'running'")
    .all() as Pick<RawRun, 'id' | 'worker_pid' | 'worker_host'>[];
  const marked: number[] = [];
  for (const r of running) {
    if (r.worker_host !== host || r.worker_pid === null || isProcessAlive(r.worker_pid)) continue;
    const reason = `worker process ${r.worker_pid} was gone when the project was next opened`;
    if (endRun(db, r.id, r.worker_pid, 'interrupted', reason)) marked.push(r.id);
  }
  return marked;
}
