/**
 * The interface of the language-model unlearning methods, shaped like the image methods'
 * (../../unlearning/types.ts): a method gets the original model, the task and its options and returns a
 * new model, never modifying the original.
 */
import type { MethodContext, MethodOptions } from '../../unlearning/types';
import type { TokenConcepts } from '../concepts/sensitiveWords';
import type { LmCorpus, LmSample, QaSample } from '../data/types';
import type { GptModel } from '../model/gpt';
import type { LmRecipe } from '../training/recipe';
import type { TokenCodec } from '../training/sequences';

export type { MethodContext, MethodOptions, MethodProgress } from '../../unlearning/types';

/** What a method is asked to forget and what it must keep. */
export interface LmTask {
  corpus: LmCorpus;
  codec: TokenCodec;
  forgetClass: string;
  /** Every training sample of the forget class. */
  forget: LmSample[];
  /** Its question-answer samples (those measured). */
  forgetQa: QaSample[];
  /** Every other training sample. */
  retain: LmSample[];
  /** Held-out paraphrases of the forget class's questions (never trained on). */
  paraphrases: QaSample[];
  heldoutText: string[];
  /**
   * The words the forget answers reveal, from the data alone (../metrics/sensitiveWords.ts): the metric's
   * reference, and what the baselines' stopping rule watches.
   */
  sensitiveWords: string[];
  /** How the original was built and trained (retrain repeats it without the forget class). */
  recipe: LmRecipe;
  /** Token concepts computed on the original (the concept methods infer them when absent). */
  concepts?: TokenConcepts;
}

export interface LmUnlearningMethod {
  name: string;
  /** One line for people. */
  summary: string;
  /** Default options (docs/llm.md). */
  defaults: MethodOptions;
  /** Returns a new model; never modifies `original`. `options` override `defaults` key by key. */
  run(original: GptModel, task: LmTask, options: MethodOptions, ctx: MethodContext): Promise<GptModel>;
}
