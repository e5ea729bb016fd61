/**
 * What every certificate (image or language-model run) records of a run and checks in the project before
 * saying anything: the run (succeeded, with metrics), its request, the dataset (every blob's hash
 * verified), the audit trail's chain, the lineage's first model, the run's events and a `retrain` run of
 * the same request. ./certificate.ts and ./lmCertificate.ts add their metrics and their page.
 */
import * as path from 'node:path';
import { UserError } from '../../errors';
import {
  type DatasetRow,
  type Db,
  type EventRow,
  type RequestRow,
  type RunRow,
  getCheckpoint,
  getDataset,
  getRequest,
  getRun,
  lineage,
  listEvents,
  listRuns,
  verifyEventChain,
} from '../../store';
import type { MethodOptions } from '../../unlearning/types';

export interface CertificateModel {
  checkpointId: number;
  contentHash: string;
  label: string;
  createdAt: string;
}

export interface CertificateRun {
  id: number;
  method: string;
  methodSummary: string;
  parameters: MethodOptions;
  seed: number;
  forgetClass: number;
  attempts: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  seconds: number;
  /** Whether this run's model became the current one and honoured the request. */
  honoursRequest: boolean;
}

export interface CertificateProject {
  file: string;
  auditTrailIntact: boolean;
  auditTrailEvents: number;
}

/** How one kind of run is read: which metrics count, how its data and models are verified. */
export interface RunKind {
  /** The run's metrics are there (a succeeded run has them). */
  hasMetrics: (run: RunRow) => boolean;
  /** Loads the dataset, checking every blob's hash and the dataset's content hash (throws otherwise). */
  loadDataset: (db: Db, datasetId: number) => unknown;
  /** Loads a checkpoint's artifacts, checking their hashes (throws otherwise). */
  loadArtifacts: (db: Db, checkpointId: number) => unknown;
  /** The method's one-line summary ('' for an unknown method). */
  summaryOf: (method: string) => string;
  seconds: (run: RunRow) => number;
}

export interface RunRecord {
  run: RunRow & { outputCheckpointId: number };
  request: RequestRow;
  datasetRow: DatasetRow;
  project: CertificateProject;
  runInfo: CertificateRun;
  /** A succeeded `retrain` run of the same request (the last one), if any, with an output model. */
  retrainRun: (RunRow & { outputCheckpointId: number }) | undefined;
  /** The run's models, verified: its input, the first model of the lineage, its output. */
  before: CertificateModel;
  original: CertificateModel;
  after: CertificateModel;
  retrain: CertificateModel | null;
  /** This run's events and the request's own (not those of other runs for the same request). */
  events: EventRow[];
}

/** The checkpoint's identity, after checking its artifacts' hashes. */
export function certificateModel(db: Db, id: number, kind: RunKind): CertificateModel {
  const c = getCheckpoint(db, id);
  kind.loadArtifacts(db, id);
  return { checkpointId: c.id, contentHash: c.contentHash, label: c.label, createdAt: c.createdAt };
}

const hasOutput = (r: RunRow): r is RunRow & { outputCheckpointId: number } => r.outputCheckpointId !== null;

/** Reads and verifies what a certificate of run `runId` records (call inside a read transaction). */
export function readRunRecord(db: Db, file: string, runId: number, kind: RunKind): RunRecord {
  const run = getRun(db, runId);
  if (run.status !== 'succeeded' || !kind.hasMetrics(run) || !hasOutput(run)) {
    throw new UserError(`run ${runId} has status ${run.status}: a certificate needs a succeeded run`);
  }
  const request = getRequest(db, run.requestId);
  const datasetRow = getDataset(db, getCheckpoint(db, run.inputCheckpointId).datasetId);
  kind.loadDataset(db, datasetRow.id);
  const retrainRun = listRuns(db, { requestId: request.id })
    .filter(
      (r) => r.method === 'retrain' && r.status === 'succeeded' && r.id !== run.id && kind.hasMetrics(r),
    )
    .filter(hasOutput)
    .pop();
  const chain = verifyEventChain(db);
  const root = lineage(db, run.inputCheckpointId).pop()!;
  const events = listEvents(db, { runId, requestId: request.id }).filter(
    (e) => e.runId === runId || e.runId === null,
  );
  return {
    run,
    request,
    datasetRow,
    project: { file: path.resolve(file), auditTrailIntact: chain.ok, auditTrailEvents: chain.count },
    runInfo: {
      id: run.id,
      method: run.method,
      methodSummary: kind.summaryOf(run.method),
      parameters: run.parameters,
      seed: run.seed,
      forgetClass: run.forgetClass,
      attempts: run.attempts,
      createdAt: run.createdAt,
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
      seconds: kind.seconds(run),
      honoursRequest: request.honouredByRunId === run.id,
    },
    retrainRun,
    before: certificateModel(db, run.inputCheckpointId, kind),
    original: certificateModel(db, root.id, kind),
    after: certificateModel(db, run.outputCheckpointId, kind),
    retrain: retrainRun ? certificateModel(db, retrainRun.outputCheckpointId, kind) : null,
    events,
  };
}
