/**
 * `concept_targeted`: concept-guided poisoning towards the donor class (the retained class whose concept
 * profile is closest to the forget class's). The class-specific concept regions of (by default half of) the
 * forget samples are masked (or patched with the donor's pixels, or left alone: options `mode`,
 * `edit_share`) and every sample is labelled with the donor; the model is fine-tuned on them with retained
 * data (conceptPoisoning.ts, docs/poisoning.md).
 */
import type { UnlearningMethod } from '../types';
import { CONCEPT_POISONING_DEFAULTS, runConceptPoisoning } from './conceptPoisoning';

export const CONCEPT_TARGETED_DEFAULTS = { ...CONCEPT_POISONING_DEFAULTS };

export const conceptTargeted: UnlearningMethod = {
  name: 'concept_targeted',
  summary:
    'Relabels the forgotten samples as the most similar retained class, masking their class-specific concept regions in half of them, and fine-tunes with retained data.',
  defaults: CONCEPT_TARGETED_DEFAULTS,
  async run(original, task, options, ctx) {
    const { classifier } = await runConceptPoisoning(
      'concept_targeted',
      this.defaults,
      'targeted',
      original,
      task,
      options,
      ctx,
    );
    return classifier;
  },
};
