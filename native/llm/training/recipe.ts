/** How a language model of the demo is built and trained (the original, and `retrain`). */
import type { GptConfig } from '../model/config';

export interface LmRecipe {
  nEmbd: number;
  nLayer: number;
  nHead: number;
  /** Context length (positions). */
  nPositions: number;
  epochs: number;
  lr: number;
  batchSize: number;
  /** Fraction of the steps spent warming up. */
  warmup: number;
  clipNorm: number;
}

/** The model configuration of a recipe for a tokenizer of `vocabSize` tokens. */
export function gptConfigOf(recipe: LmRecipe, vocabSize: number): GptConfig {
  return {
    vocabSize,
    nPositions: recipe.nPositions,
    nEmbd: recipe.nEmbd,
    nLayer: recipe.nLayer,
    nHead: recipe.nHead,
    layerNormEpsilon: 1e-5,
  };
}
