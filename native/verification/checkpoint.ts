/**
 * Verifying a checkpoint of a project file: file integrity, foreign keys, the audit trail's hash chain,
 * the stored hashes (checked as the checkpoint and dataset load), and its metrics recomputed and compared
 * with those the runs stored. Shared by `unlearn verify` and the app.
 */
import type { ImageDataset } from '../data/types';
import { initBackend } from '../engine/backend/select';
import { UserError } from '../errors';
import {
  type Db,
  getCheckpoint,
  getDataset,
  getRun,
  listRuns,
  loadDataset,
  requireCurrentCheckpoint,
  requireImageModel,
} from '../store';
import { loadCheckpointClassifier } from '../store/modelCodec';
import { type Evaluation, evaluate } from '../unlearning/evaluate';
import { resolveClass } from '../unlearning/task';
import { type StoredVerification, allPassed, compareWithRuns, fileChecks, valueDiff } from './storedChecks';

/** The largest absolute difference between two evaluations (infinite when one lacks a value). */
export function metricsDiff(a: Evaluation, b: Evaluation): number {
  let max = 0;
  for (const key of [
    'test_acc',
    'forget_train_acc',
    'forget_test_acc',
    'retain_train_acc',
    'retain_test_acc',
    'mia_forget_rate',
    'mia_attack_acc',
  ] as const) {
    max = Math.max(max, valueDiff(a[key], b[key]));
  }
  const n = Math.max(a.per_class_test_acc.length, b.per_class_test_acc.length);
  for (let i = 0; i < n; i++)
    max = Math.max(max, valueDiff(a.per_class_test_acc[i], b.per_class_test_acc[i]));
  return max;
}

/** A stored image checkpoint verified. */
export type CheckpointVerification = StoredVerification<Evaluation>;

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
  const checks = fileChecks(db);
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
  const comparisons = compareWithRuns(
    metrics,
    forgetClass,
    seed,
    producer,
    listRuns(db).filter((r) => r.inputCheckpointId === checkpoint.id),
    { diff: metricsDiff, output: (r) => r.metrics, input: (r) => r.baselineMetrics },
  );
  return {
    ok: allPassed(checks, comparisons),
    backend,
    ...checks,
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
