/**
 * `unlearn verify P [--checkpoint ID] [--class C] [--json]`: checks the file (SQLite integrity, foreign
 * keys, the audit trail's hash chain), loads a checkpoint and its dataset with their hashes checked,
 * recomputes evaluate()'s metrics and compares them with the metrics stored by the runs.
 */
import type { ImageDataset } from '../../data/types';
import { describeBackend, initBackend } from '../../engine/backend/select';
import { UserError } from '../../errors';
import {
  getCheckpoint,
  getDataset,
  getRun,
  listRuns,
  loadDataset,
  requireCurrentCheckpoint,
  verifyEventChain,
  withProject,
} from '../../store';
import { loadCheckpointClassifier } from '../../store/modelCodec';
import type { Evaluation } from '../../unlearning/evaluate';
import { evaluate } from '../../unlearning/evaluate';
import { resolveClass } from '../../unlearning/task';
import { json, out, parseCommand, pct, positiveInt, say } from './args';

export const VERIFY_USAGE = 'verify P [--checkpoint ID] [--class NAME_OR_INDEX] [--json]';

/** Largest absolute difference between two metric sets (numbers and per-class lists). */
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

const TOLERANCE = 1e-6;

export async function verifyCommand(argv: string[]): Promise<void> {
  const { values, file, rest } = parseCommand(
    argv,
    { checkpoint: { type: 'string' }, class: { type: 'string' }, json: { type: 'boolean' } },
    VERIFY_USAGE,
  );
  if (rest.length > 0) throw new UserError(`unexpected argument '${rest[0]}'`);
  const id = positiveInt(values.checkpoint, 'checkpoint');
  const report = await withProject(file, async ({ db }) => {
    const integrity = (db.pragma('integrity_check') as { integrity_check: string }[]).map(
      (r) => r.integrity_check,
    );
    const foreignKeyViolations = (db.pragma('foreign_key_check') as unknown[]).length;
    const chain = verifyEventChain(db);
    const checkpoint = id !== undefined ? getCheckpoint(db, id) : requireCurrentCheckpoint(db);
    const datasetRow = getDataset(db, checkpoint.datasetId);
    const producer = checkpoint.runId !== null ? getRun(db, checkpoint.runId) : undefined;
    // The class whose forgetting is measured: --class, else the class of the run that made the
    // checkpoint, else of the latest run that started from it, else class 0.
    const consumer = listRuns(db)
      .filter((r) => r.inputCheckpointId === checkpoint.id && r.baselineMetrics)
      .pop();
    let forgetClass: number;
    let classSource: string;
    if (values.class !== undefined) {
      forgetClass = resolveClass(
        { name: datasetRow.name, classNames: datasetRow.classNames } as ImageDataset,
        values.class,
      );
      classSource = 'given';
    } else if (producer) {
      forgetClass = producer.forgetClass;
      classSource = `run ${producer.id}`;
    } else if (consumer) {
      forgetClass = consumer.forgetClass;
      classSource = `run ${consumer.id}`;
    } else {
      forgetClass = 0;
      classSource = 'default';
    }
    const seed = producer?.seed ?? consumer?.seed ?? 1;
    const backend = await initBackend();
    say(describeBackend(backend));
    const dataset = loadDataset(db, datasetRow.id);
    const { classifier } = await loadCheckpointClassifier(db, checkpoint.id);
    let metrics: Evaluation;
    try {
      metrics = evaluate(classifier, dataset, forgetClass, seed);
    } finally {
      classifier.dispose();
    }
    const comparisons: { runId: number; as: 'output' | 'input'; maxAbsDiff: number; matches: boolean }[] = [];
    const compare = (
      runId: number,
      as: 'output' | 'input',
      stored: Evaluation | null,
      cls: number,
      s: number,
    ) => {
      if (!stored || cls !== forgetClass || s !== seed) return;
      const diff = metricsDiff(metrics, stored);
      comparisons.push({ runId, as, maxAbsDiff: diff, matches: diff <= TOLERANCE });
    };
    if (producer) compare(producer.id, 'output', producer.metrics, producer.forgetClass, producer.seed);
    for (const r of listRuns(db).filter((r) => r.inputCheckpointId === checkpoint.id)) {
      compare(r.id, 'input', r.baselineMetrics, r.forgetClass, r.seed);
    }
    const ok =
      integrity.length === 1 &&
      integrity[0] === 'ok' &&
      foreignKeyViolations === 0 &&
      chain.ok &&
      comparisons.every((c) => c.matches);
    return {
      ok,
      file: { integrity, foreignKeyViolations, auditTrail: chain },
      checkpoint: { id: checkpoint.id, contentHash: checkpoint.contentHash, hashVerified: true },
      dataset: { id: datasetRow.id, contentHash: datasetRow.contentHash, hashVerified: true },
      forgetClass,
      forgetClassName: dataset.classNames[forgetClass],
      forgetClassSource: classSource,
      seed,
      metrics,
      comparisons,
    };
  });
  if (values.json) {
    json(report);
  } else {
    const m = report.metrics;
    const lines = [
      `file: integrity ${report.file.integrity.join('; ')}, ${report.file.foreignKeyViolations} foreign-key violations, audit trail ${report.file.auditTrail.ok ? `intact (${report.file.auditTrail.count} events)` : `BROKEN at event ${report.file.auditTrail.firstBadId}`}`,
      `checkpoint ${report.checkpoint.id}: sha256 ${report.checkpoint.contentHash} verified`,
      `dataset ${report.dataset.id}: sha256 ${report.dataset.contentHash} verified`,
      `metrics for forget class '${report.forgetClassName}' (${report.forgetClass}, from ${report.forgetClassSource}):`,
      `  test ${pct(m.test_acc)}  forget-train ${pct(m.forget_train_acc)}  forget-test ${pct(m.forget_test_acc)}  retain-train ${pct(m.retain_train_acc)}  retain-test ${pct(m.retain_test_acc)}  MIA forget rate ${pct(m.mia_forget_rate)}`,
      ...report.comparisons.map(
        (c) =>
          `  ${c.matches ? 'matches' : 'DIFFERS FROM'} the metrics stored by run ${c.runId} (as its ${c.as}; max difference ${c.maxAbsDiff.toExponential(2)})`,
      ),
    ];
    out(lines.join('\n'));
  }
  if (!report.ok) throw new UserError(`verification of ${file} failed (see the report above)`);
}
