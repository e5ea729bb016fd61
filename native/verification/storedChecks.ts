/**
 * What verifying any stored checkpoint (image or language model) shares: the project file's own checks
 * (SQLite integrity, foreign keys, the audit trail's hash chain), and the comparison of recomputed metrics
 * with those the runs stored for the checkpoint (as their output or as their input).
 */
import type { BackendReport } from '../engine/backend/select';
import {
  type ChainCheck,
  type CheckpointRow,
  type DatasetRow,
  type Db,
  type RunRow,
  verifyEventChain,
} from '../store';

/** Recomputed metrics match stored ones when no value differs by more than this. */
export const VERIFY_TOLERANCE = 1e-6;

export interface FileChecks {
  integrity: string[];
  foreignKeyViolations: number;
  auditTrail: ChainCheck;
}

/** A stored checkpoint verified: the file's checks, its metrics `M` recomputed, and whether all passed. */
export interface StoredVerification<M> extends FileChecks {
  ok: boolean;
  backend: BackendReport;
  checkpoint: CheckpointRow;
  dataset: DatasetRow;
  forgetClass: number;
  forgetClassName: string;
  /** Where the forget class came from: 'given', 'run N' or 'default'. */
  forgetClassSource: string;
  seed: number;
  metrics: M;
  comparisons: MetricsComparison[];
}

export function fileChecks(db: Db): FileChecks {
  const integrity = (db.pragma('integrity_check') as { integrity_check: string }[]).map(
    (r) => r.integrity_check,
  );
  const foreignKeyViolations = (db.pragma('foreign_key_check') as unknown[]).length;
  return { integrity, foreignKeyViolations, auditTrail: verifyEventChain(db) };
}

/** |x − y|; 0 when both are missing, infinite when only one is. */
export function valueDiff(x: number | null | undefined, y: number | null | undefined): number {
  if (x == null || y == null) return x == null && y == null ? 0 : Number.POSITIVE_INFINITY;
  return Math.abs(x - y);
}

export interface MetricsComparison {
  runId: number;
  /** Whether the run stored these metrics for its output or its input checkpoint. */
  as: 'output' | 'input';
  maxAbsDiff: number;
  matches: boolean;
}

export interface StoredMetrics<M> {
  /** The largest absolute difference between two evaluations. */
  diff: (a: M, b: M) => number;
  /** What a run stored for its output and for its input checkpoint. */
  output: (run: RunRow) => M | null;
  input: (run: RunRow) => M | null;
}

/**
 * `metrics`, recomputed for `forgetClass` and `seed`, against what the run that made the checkpoint
 * (`producer`) and the runs that started from it (`consumers`) stored for the same class and seed.
 */
export function compareWithRuns<M>(
  metrics: M,
  forgetClass: number,
  seed: number,
  producer: RunRow | undefined,
  consumers: readonly RunRow[],
  stored: StoredMetrics<M>,
): MetricsComparison[] {
  const out: MetricsComparison[] = [];
  const compare = (run: RunRow, as: 'output' | 'input', m: M | null) => {
    if (!m || run.forgetClass !== forgetClass || run.seed !== seed) return;
    const maxAbsDiff = stored.diff(metrics, m);
    out.push({ runId: run.id, as, maxAbsDiff, matches: maxAbsDiff <= VERIFY_TOLERANCE });
  };
  if (producer) compare(producer, 'output', stored.output(producer));
  for (const r of consumers) compare(r, 'input', stored.input(r));
  return out;
}

/** Every check passed: an intact file and trail, and every stored metric reproduced. */
export function allPassed(checks: FileChecks, comparisons: readonly MetricsComparison[]): boolean {
  return (
    checks.integrity.length === 1 &&
    checks.integrity[0] === 'ok' &&
    checks.foreignKeyViolations === 0 &&
    checks.auditTrail.ok &&
    comparisons.every((c) => c.matches)
  );
}
