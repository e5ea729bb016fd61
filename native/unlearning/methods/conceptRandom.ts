/**
 * `concept_random`: concept-guided poisoning with random labels. The class-specific concept regions of (by
 * default half of) the forget samples are masked (or patched, or left alone: options `mode`, `edit_share`)
 * and each sample is relabelled with a uniformly random retained class; the model is fine-tuned on them with
 * retained data (conceptPoisoning.ts, docs/poisoning.md).
 */
import type { UnlearningMethod } from '../types';
import { CONCEPT_POISONING_DEFAULTS, runConceptPoisoning } from './conceptPoisoning';

export const CONCEPT_RANDOM_DEFAULTS = { ...CONCEPT_POISONING_DEFAULTS };

export const conceptRandom: UnlearningMethod = {
  name: 'concept_random',
  summary:
    'Relabels the forgotten samples with random other classes, masking their class-specific concept regions in half of them, and fine-tunes with retained data.',
  defaults: CONCEPT_RANDOM_DEFAULTS,
  async run(original, task, options, ctx) {
    const { classifier } = await runConceptPoisoning(
      'concept_random',
      this.defaults,
      'random',
      original,
      task,
      options,
      ctx,
    );
    return classifier;
  },
};
