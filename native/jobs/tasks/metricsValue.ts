/** evaluate()'s metrics as the app's contract carries them: fractions, with null for NaN and infinities. */
import type { Metrics } from '../../services/api';
import type { Evaluation } from '../../unlearning/evaluate';

export function metricsValue(m: Evaluation | (Evaluation & { seconds: number })): Metrics {
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  return {
    test_acc: n(m.test_acc),
    forget_train_acc: n(m.forget_train_acc),
    forget_test_acc: n(m.forget_test_acc),
    retain_train_acc: n(m.retain_train_acc),
    retain_test_acc: n(m.retain_test_acc),
    mia_forget_rate: n(m.mia_forget_rate),
    mia_attack_acc: n(m.mia_attack_acc),
    per_class_test_acc: (m.per_class_test_acc ?? []).map(n),
    ...('seconds' in m && typeof m.seconds === 'number' ? { seconds: m.seconds } : {}),
  };
}
