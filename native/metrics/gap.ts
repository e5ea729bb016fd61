/** Comparing an unlearned model with the model retrained from scratch without the forget data. */

/** The four accuracies (fractions in [0, 1]) and the MIA forget rate of one model. */
export interface UnlearningMetrics {
  /** Accuracy on the forget set's training samples. */
  forget_train_acc: number;
  /** Accuracy on the test samples of the forgotten data (e.g. the removed class). */
  forget_test_acc: number;
  /** Accuracy on the retained training samples. */
  retain_train_acc: number;
  /** Accuracy on the retained test samples. */
  retain_test_acc: number;
  /** Fraction of forget samples the membership-inference attack judges non-members (miaForgetRate). */
  mia_forget_rate: number;
}

/** The metrics that avgGap averages, exactly these four. */
export const AVG_GAP_KEYS = [
  'forget_test_acc',
  'retain_test_acc',
  'retain_train_acc',
  'mia_forget_rate',
] as const;

/**
 * Average gap to the retrained model (lower is better, 0 = indistinguishable from retraining):
 * the mean absolute difference over exactly four metrics, forget_test_acc, retain_test_acc,
 * retain_train_acc and mia_forget_rate:
 *   (|Δforget_test_acc| + |Δretain_test_acc| + |Δretain_train_acc| + |Δmia_forget_rate|) / 4.
 * forget_train_acc is left out. Values are in the units given (fractions in, fraction out).
 */
export function avgGap(m: UnlearningMetrics, retrain: UnlearningMetrics): number {
  let s = 0;
  for (const k of AVG_GAP_KEYS) s += Math.abs(m[k] - retrain[k]);
  return s / AVG_GAP_KEYS.length;
}

/**
 * Mean and sample standard deviation (divisor n − 1) of repeated runs.
 * std is 0 for a single value; both are 0 for an empty list.
 */
export function meanStd(values: number[]): { mean: number; std: number } {
  const n = values.length;
  if (n === 0) return { mean: 0, std: 0 };
  let s = 0;
  for (const v of values) s += v;
  const mean = s / n;
  if (n === 1) return { mean, std: 0 };
  let ss = 0;
  for (const v of values) ss += (v - mean) ** 2;
  return { mean, std: Math.sqrt(ss / (n - 1)) };
}
