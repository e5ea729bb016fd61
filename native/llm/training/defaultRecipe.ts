/**
 * The language-model recipe the project commands use when none is given or stored: the demo's `--quick`
 * preset (../demo/presets.ts), a model that memorises a small facts corpus in minutes on two cores.
 */
import { LLM_QUICK } from '../demo/presets';
import type { GptConfig } from '../model/config';
import type { LmRecipe } from './recipe';

/** `unlearn train` on a text dataset, unless its options change it. */
export const DEFAULT_LM_RECIPE: LmRecipe = { ...LLM_QUICK.recipe };
export const DEFAULT_LM_VOCAB_SIZE = LLM_QUICK.vocabSize;

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
