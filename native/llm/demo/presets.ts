/**
 * The language-model demo's two configurations: the full one (10 entities, a model large enough to
 * memorise every answer) and `--quick` (4 entities, a smaller model; a few minutes on two cores).
 */
import { DEFAULT_FACTS_SIZE, type FactsCorpusSize, QUICK_FACTS_SIZE } from '../data/factsCorpus';
import type { LmRecipe } from '../training/recipe';

export interface LlmDemoPreset {
  corpus: FactsCorpusSize;
  /** Tokens of the BPE tokenizer learnt from the training texts. */
  vocabSize: number;
  recipe: LmRecipe;
  /** Retained questions answered per evaluation. */
  maxRetainEval: number;
}

export const LLM_FULL: LlmDemoPreset = {
  corpus: DEFAULT_FACTS_SIZE,
  vocabSize: 768,
  recipe: {
    nEmbd: 128,
    nLayer: 2,
    nHead: 4,
    nPositions: 64,
    epochs: 25,
    lr: 2e-3,
    batchSize: 16,
    warmup: 0.05,
    clipNorm: 1,
  },
  maxRetainEval: 120,
};

export const LLM_QUICK: LlmDemoPreset = {
  corpus: QUICK_FACTS_SIZE,
  vocabSize: 400,
  recipe: {
    nEmbd: 64,
    nLayer: 2,
    nHead: 4,
    nPositions: 64,
    epochs: 40,
    lr: 3e-3,
    batchSize: 16,
    warmup: 0.05,
    clipNorm: 1,
  },
  maxRetainEval: 60,
};
