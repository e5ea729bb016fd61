/** The shape of the demo's report.json (accuracies are fractions in [0, 1]). */
import type { MethodOptions } from '../unlearning/types';

export interface ModelResult {
  test_acc: number;
  forget_train_acc: number;
  forget_test_acc: number;
  retain_train_acc: number;
  retain_test_acc: number;
  mia_forget_rate: number;
  mia_attack_acc: number;
  per_class_test_acc: (number | null)[];
  seconds: number;
}

export interface MethodResult extends ModelResult {
  /** Mean absolute difference to `retrain` over forget-test, retain-test, retain-train accuracy and MIA; null without retrain. */
  avg_gap: number | null;
  options: MethodOptions;
}

export interface DemoReport {
  dataset: string;
  forget_class: number;
  forget_class_name: string;
  backend: string;
  backend_tried: { name: string; ok: boolean; reason?: string }[];
  seed: number;
  quick: boolean;
  sizes: { train: number; test: number; heldout: number; forget_train: number };
  original: ModelResult & { cached: boolean; arch: string; epochs: number };
  methods: Record<string, MethodResult>;
  created: string;
}
