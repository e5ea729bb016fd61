/** The language-model recipe the project commands use when none is given or stored. */
import type { GptConfig } from '../model/config';
import type { LmRecipe } from './recipe';

/** `unlearn train` on a text dataset, unless its options change it. */
export const DEFAULT_LM_RECIPE: LmRecipe = {
  nEmbd: 64,
  nLayer: 2,
  nHead: 4,
  nPositions: 64,
  epochs: 20,
  lr: 3e-3,
  batchSize: 16,
  warmup: 0.1,
  clipNorm: 1,
};

/** The recipe of a model that has none (an imported one): its own shape, the default training. */
export function recipeForConfig(config: GptConfig): LmRecipe {
  return {
    ...DEFAULT_LM_RECIPE,
    nEmbd: config.nEmbd,
    nLayer: config.nLayer,
    nHead: config.nHead,
    nPositions: config.nPositions,
  };
}
