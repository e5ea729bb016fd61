/** Mean and standard deviation of metrics over runs with different seeds. */
import { meanStd } from '../metrics/gap';

export interface MetricSummary {
  mean: number;
  /** Sample standard deviation (divisor n - 1; 0 for one run). */
  std: number;
  /** Runs that had a finite value. */
  n: number;
}

/** The metrics summarised by default (those of evaluate() and of the verification metrics). */
export const SUMMARY_KEYS = [
  'forget_train_acc',
  'forget_test_acc',
  'retain_train_acc',
  'retain_test_acc',
  'test_acc',
  'mia_forget_rate',
  'avg_gap',
  'seconds',
  'cpu_seconds',
  'probe_forget_acc',
  'relearn_epochs',
  'concept_residue',
] as const;

/**
 * Per metric, the mean and std over `results` of its finite numeric values (nulls, missing and non-numeric
 * values are skipped, so e.g. a relearn that never succeeded does not count). `keys` defaults to
 * SUMMARY_KEYS; metrics no run has are left out.
 */
export function seedSummary(
  results: readonly Record<string, unknown>[],
  keys: readonly string[] = SUMMARY_KEYS,
): Record<string, MetricSummary> {
  const out: Record<string, MetricSummary> = {};
  for (const key of keys) {
    const values: number[] = [];
    for (const r of results) {
      const v = r[key];
      if (typeof v === 'number' && Number.isFinite(v)) values.push(v);
    }
    if (values.length === 0) continue;
    out[key] = { ...meanStd(values), n: values.length };
  }
  return out;
}
