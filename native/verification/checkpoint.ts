/**
 * Verifying a checkpoint of a project file: file integrity, foreign keys, the audit trail's hash chain,
 * the stored hashes (checked as the checkpoint and dataset load), and its metrics recomputed and compared
 * with those the runs stored. Shared by `unlearn verify` and the app.
 */
import type { ImageDataset } from '../data/types';
import { type BackendReport, initBackend } from '../engine/backend/select';
import { UserError } from '../errors';
import {
  type ChainCheck,
  type CheckpointRow,
  type DatasetRow,
  type Db,
  getCheckpoint,
  getDataset,
  getRun,
  listRuns,
  loadDataset,
  requireCurrentCheckpoint,
  requireImageModel,
  verifyEventChain,
} from '../store';
import { loadCheckpointClassifier } from '../store/modelCodec';
import { type Evaluation, evaluate } from '../unlearning/evaluate';
import { resolveClass } from '../unlearning/task';

/** Recomputed metrics match stored ones when no value differs by more than this. */
export const VERIFY_TOLERANCE = 1e-6;

/** The largest absolute difference between two evaluations (infinite when one lacks a value). */
export function metricsDiff(a: Evaluation, b: Evaluation): number {
  let max = 0;
  const d = (x: number | null | undefined, y: number | null | undefined) => {
    if (x == null || y == null) return x == null && y == null ? 0 : Number.POSITIVE_INFINITY;
    return Math.abs(x - y);
  };
  for (const key of [
    'test_acc',
    'forget_train_acc',
    'forget_test_acc',
    'retain_train_acc',
    'retain_test_acc',
    'mia_forget_rate',
    'mia_attack_acc',
  ] as const) {
    max = Math.max(max, d(a[key], b[key]));
  }
  const n = Math.max(a.per_class_test_acc.length, b.per_class_test_acc.length);
  for (let i = 0; i < n; i++) max = Math.max(max, d(a.per_class_test_acc[i], b.per_class_test_acc[i]));
  return max;
}

export interface MetricsComparison {
  runId: number;
  /** Whether the run stored these metrics for its output or its input checkpoint. */
  as: 'output' | 'input';
  maxAbsDiff: number;
  matches: boolean;
}

export interface CheckpointVerification {
  ok: boolean;
  backend: BackendReport;
  integrity: string[];
  foreignKeyViolations: number;
  auditTrail: ChainCheck;
  checkpoint: CheckpointRow;
  dataset: DatasetRow;
  forgetClass: number;
  forgetClassName: string;
  /** Where the forget class came from: 'given', 'run N' or 'default'. */
  forgetClassSource: string;
  seed: number;
  metrics: Evaluation;
  comparisons: MetricsComparison[];
}

export interface VerifyCheckpointOptions {
  /** Default: the current checkpoint. */
  checkpointId?: number;
  /**
   * The class whose forgetting is measured (a name or index given by the user, or an index); default the
   * class of the run that made the checkpoint, else of the latest run that started from it, else class 0.
   */
  forgetClass?: string | number;
}

export async function verifyCheckpoint(
  db: Db,
  opts: VerifyCheckpointOptions = {},
): Promise<CheckpointVerification> {
  const integrity = (db.pragma('integrity_check') as { integrity_check: string }[]).map(
    (r) => r.integrity_check,
  );
  const foreignKeyViolations = (db.pragma('foreign_key_check') as unknown[]).length;
  const auditTrail = verifyEventChain(db);
  const checkpoint = requireImageModel(
    opts.checkpointId !== undefined ? getCheckpoint(db, opts.checkpointId) : requireCurrentCheckpoint(db),
    'verification (recomputing the metrics)',
  );
  const datasetRow = getDataset(db, checkpoint.datasetId);
  const producer = checkpoint.runId !== null ? getRun(db, checkpoint.runId) : undefined;
  const consumer = listRuns(db)
    .filter((r) => r.inputCheckpointId === checkpoint.id && r.baselineMetrics)
    .pop();
  let forgetClass: number;
  let forgetClassSource: string;
  if (typeof opts.forgetClass === 'string') {
    forgetClass = resolveClass(
      { name: datasetRow.name, classNames: datasetRow.classNames } as ImageDataset,
      opts.forgetClass,
    );
    forgetClassSource = 'given';
  } else if (typeof opts.forgetClass === 'number') {
    forgetClass = opts.forgetClass;
    if (forgetClass >= datasetRow.classNames.length) {
      throw new UserError(`class ${forgetClass} is out of range (${datasetRow.classNames.length} classes)`);
    }
    forgetClassSource = 'given';
  } else if (producer) {
    forgetClass = producer.forgetClass;
    forgetClassSource = `run ${producer.id}`;
  } else if (consumer) {
    forgetClass = consumer.forgetClass;
    forgetClassSource = `run ${consumer.id}`;
  } else {
    forgetClass = 0;
    forgetClassSource = 'default';
  }
  const seed = producer?.seed ?? consumer?.seed ?? 1;
  const backend = await initBackend();
  const dataset = loadDataset(db, datasetRow.id);
  const { classifier } = await loadCheckpointClassifier(db, checkpoint.id);
  let metrics: Evaluation;
  try {
    metrics = evaluate(classifier, dataset, forgetClass, seed);
  } finally {
    classifier.dispose();
  }
  const comparisons: MetricsComparison[] = [];
  const compare = (
    runId: number,
    as: 'output' | 'input',
    stored: Evaluation | null,
    cls: number,
    s: number,
  ) => {
    if (!stored || cls !== forgetClass || s !== seed) return;
    const diff = metricsDiff(metrics, stored);
    comparisons.push({ runId, as, maxAbsDiff: diff, matches: diff <= VERIFY_TOLERANCE });
  };
  if (producer) compare(producer.id, 'output', producer.metrics, producer.forgetClass, producer.seed);
  for (const r of listRuns(db).filter((r) => r.inputCheckpointId === checkpoint.id)) {
    compare(r.id, 'input', r.baselineMetrics, r.forgetClass, r.seed);
  }
  const ok =
    integrity.length === 1 &&
    integrity[0] === 'ok' &&
    foreignKeyViolations === 0 &&
    auditTrail.ok &&
    comparisons.every((c) => c.matches);
  return {
    ok,
    backend,
    integrity,
    foreignKeyViolations,
    auditTrail,
    checkpoint,
    dataset: datasetRow,
    forgetClass,
    forgetClassName: dataset.classNames[forgetClass],
    forgetClassSource,
    seed,
    metrics,
    comparisons,
  };
}
