/**
 * The in-memory format of a language-model corpus: question-answer samples and plain-text samples, each
 * belonging to a class (an entity for the generated corpus; any label for the user's JSONL).
 */

/** A question and its answer; only the answer's tokens are trained on (the prompt is context). */
export interface QaSample {
  kind: 'qa';
  class: string;
  prompt: string;
  response: string;
}

/** A plain text; every token is trained on. */
export interface TextSample {
  kind: 'text';
  class: string;
  text: string;
}

export type LmSample = QaSample | TextSample;

export interface LmCorpus {
  /** Where the corpus comes from ('facts' for the generated one, the file name for an import). */
  name: string;
  /** Every class with at least one training sample, in order of first appearance. */
  classes: string[];
  /** The samples a model is trained on. */
  train: LmSample[];
  /**
   * Held-out rewordings of training questions (same class, same answer, never trained on): membership
   * inference and the generalisation of forgetting.
   */
  paraphrases: QaSample[];
  /** Held-out generic text (about no class), never trained on: utility as perplexity. */
  heldoutText: string[];
}

export function isQa(s: LmSample): s is QaSample {
  return s.kind === 'qa';
}

/** Every class that has question-answer training samples (those that can be forgotten and measured). */
export function qaClasses(corpus: LmCorpus): string[] {
  const seen = new Set<string>();
  for (const s of corpus.train) if (s.kind === 'qa') seen.add(s.class);
  return corpus.classes.filter((c) => seen.has(c));
}
