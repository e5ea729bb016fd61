/** The shape of the demo's report.json (accuracies are fractions in [0, 1]). */
import type { ShapesOptions } from '../data/shapes';
import type { MethodOptions } from '../unlearning/types';
import type { MetricSummary } from '../verification';
import type { VerificationMetrics } from './verifyModel';

export interface ModelResult extends VerificationMetrics {
  test_acc: number;
  forget_train_acc: number;
  forget_test_acc: number;
  retain_train_acc: number;
  retain_test_acc: number;
  mia_forget_rate: number;
  mia_attack_acc: number;
  per_class_test_acc: (number | null)[];
  /** Wall-clock seconds of the method (of the training, for the original). */
  seconds: number;
  /** CPU seconds of the same work (this process); null for a cached original trained before they were recorded. */
  cpu_seconds: number | null;
}

export interface MethodResult extends ModelResult {
  /** Mean absolute difference to `retrain` over forget-test, retain-test, retain-train accuracy and MIA; null without retrain. */
  avg_gap: number | null;
  options: MethodOptions;
}

/**
 * One concept of the forget class. importance / specificity / shared: through the concept bottleneck (IG of
 * the PCBM's class logit w.r.t. the standardised concept scores), the basis of the selection; ig_*: IG of the
 * model's class logit along the concept's direction in the embedding. Logit units; see docs/concepts.md.
 */
export interface ConceptRowReport {
  name: string;
  importance: number;
  specificity: number;
  shared: boolean;
  selected: boolean;
  /** The PCBM's weight of the concept for the forget class (standardised units); null without a PCBM. */
  pcbm_weight: number | null;
  ig_importance: number | null;
  ig_specificity: number | null;
}

/** The concept stage, run on the original model (native/demo/conceptStage.ts). */
export interface ConceptsReport {
  /** Where the concept bank comes from. */
  source: 'ground-truth' | 'nmf-discovery';
  embedding_layer: string;
  /** Concepts kept in the bank. */
  concepts: number;
  /** Post-hoc concept bottleneck on the test split; null when no concept was kept. */
  pcbm: {
    accuracy: number;
    fidelity: number;
    model_accuracy: number;
    nonzero: number;
    weights: number;
    lambda: number;
  } | null;
  /** The forget class's concepts by importance (at most 8). */
  forget_class_top: ConceptRowReport[];
  /** The concepts selected as specific to the forget class, most specific first (possibly fewer than k). */
  selected: string[];
  selection: { k: number; min_share: number; min_relative: number; shared_ratio: number };
  donor_class: { index: number; name: string; similarity: number; tie_broken_by_confusion: boolean } | null;
  /** Largest relative IG completeness gap over the stage's IG calls (embedding importance and pixel localisation). */
  ig_completeness_max: number;
  ig: {
    embedding_max_gap: number;
    embedding_samples: number;
    pixel_max_gap: number | null;
    pixel_images: number;
  };
  cav_heldout: { name: string; accuracy: number }[];
  /** Concepts whose CAV was near chance on held-out examples. */
  dropped: { name: string; accuracy: number }[];
  /** PNGs written by the stage, relative to the report's folder (NMF maps and patches, localisation maps). */
  images: string[];
  /** NMF discovery (source 'nmf-discovery'). */
  discovery?: {
    layer: string;
    map_shape: [number, number];
    images: number;
    relative_error: number;
    /** concepts.json next to the PNGs, relative to the report's folder. */
    index: string | null;
  };
  /** shapes only: the forget class's specific concepts by construction, and the selection's precision. */
  ground_truth_specific?: string[];
  ground_truth_precision_at_k?: number;
  seconds: number;
}

/** One seed's results (the report's own top-level fields are those of the first seed). */
export interface SeedRun {
  seed: number;
  original: ModelResult;
  methods: Record<string, MethodResult>;
  concepts_selected: string[];
  donor_class: number | null;
}

/** `--seeds N`: every seed's run and, per model, the mean and std of each metric over the seeds. */
export interface SeedsReport {
  seeds: number[];
  runs: SeedRun[];
  summary: {
    original: Record<string, MetricSummary>;
    methods: Record<string, Record<string, MetricSummary>>;
  };
}

export interface DemoReport {
  dataset: string;
  /** The generator options of a synthetic dataset (shapes). */
  dataset_options?: ShapesOptions;
  forget_class: number;
  forget_class_name: string;
  backend: string;
  backend_tried: { name: string; ok: boolean; reason?: string }[];
  seed: number;
  quick: boolean;
  sizes: { train: number; test: number; heldout: number; forget_train: number };
  original: ModelResult & { cached: boolean; arch: string; epochs: number };
  concepts: ConceptsReport;
  methods: Record<string, MethodResult>;
  /** Present with --seeds N (N > 1). */
  seeds?: SeedsReport;
  created: string;
}
