/** The shape of the language-model demo's report.json (rates and ROUGE-L are fractions in [0, 1]). */
import type { MethodOptions } from '../../unlearning/types';
import type { MetricSummary } from '../../verification/summary';

/** The metrics of one model (native/llm/evaluation/evaluate.ts) and the seconds it took to obtain. */
export interface LlmModelResult {
  forget_term_rate: number;
  forget_answer_rouge_l: number;
  paraphrase_term_rate: number | null;
  retain_answer_rouge_l: number;
  heldout_perplexity: number | null;
  mia_auc: number | null;
  seconds: number;
}

export interface LlmMethodResult extends LlmModelResult {
  options: MethodOptions;
  /** Concept methods: seconds plus the token concept stage they build on. */
  seconds_with_concepts?: number;
}

export interface SensitiveWordRowReport {
  word: string;
  importance: number;
  retain_importance: number;
  shared: boolean;
  in_prompt: boolean;
  selected: boolean;
  /** In the data-derived sensitive words (the metric's reference). */
  ground_truth: boolean;
  /** Forget answers the word occurs in. */
  answers: number;
}

/** The token concept stage on the original model (native/llm/concepts/sensitiveWords.ts). */
export interface SensitiveWordsReport {
  /** The words of the forget samples by IG importance (at most 30). */
  rows: SensitiveWordRowReport[];
  selected: string[];
  /** The data-derived sensitive words (answer words in no question of the class and no retained sample). */
  ground_truth: string[];
  /** Of the selected words, the share in the ground truth; of the ground truth, the share selected. */
  precision: number | null;
  recall: number | null;
  completeness_max_gap: number;
  ig: { steps: number; rule: string; baseline: string };
  shared_ratio: number;
  samples: { forget: number; retain: number };
  donor: { name: string; similarity: number } | null;
  seconds: number;
}

export interface LlmDemoReport {
  kind: 'llm';
  /** 'facts' (generated) or the JSONL file's name. */
  dataset: string;
  forget_class: string;
  backend: string;
  backend_tried: { name: string; ok: boolean; reason?: string }[];
  /** The corpus seed, and the training seeds (one run per seed; metrics below are their means). */
  seed: number;
  seeds: number[];
  quick: boolean;
  sizes: {
    train: number;
    forget_train: number;
    retain_train: number;
    paraphrases: number;
    heldout_text: number;
    classes: number;
  };
  model: {
    n_embd: number;
    n_layer: number;
    n_head: number;
    n_positions: number;
    vocab_size: number;
    parameters: number;
    epochs: number;
    lr: number;
    batch_size: number;
  };
  original: LlmModelResult & { cached: boolean };
  methods: Record<string, LlmMethodResult>;
  /** Of the first seed's original model. */
  sensitive_words: SensitiveWordsReport;
  /** With several seeds: every metric's mean, sample std and count over the seeds. */
  summary?: {
    original: Record<string, MetricSummary>;
    methods: Record<string, Record<string, MetricSummary>>;
  };
  /** Every seed's results, when there are several. */
  per_seed?: {
    seed: number;
    original: LlmModelResult & { cached: boolean };
    methods: Record<string, LlmMethodResult>;
    sensitive_words: {
      precision: number | null;
      recall: number | null;
      completeness_max_gap: number;
      seconds: number;
    };
  }[];
  /** A few greedy answers to forget questions, per model (first seed). */
  examples: Record<string, { prompt: string; reference: string; answer: string }[]>;
  created: string;
}
