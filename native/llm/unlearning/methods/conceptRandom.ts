/**
 * `concept_random`: each forget answer's top-k token concepts (words found by Integrated Gradients,
 * specific to the class) replaced by random words of the retained vocabulary, fine-tuned with retained
 * anchors (conceptPoisoning.ts, docs/llm.md).
 */
import type { LmUnlearningMethod } from '../types';
import { CONCEPT_POISONING_DEFAULTS, runConceptPoisoning } from './conceptPoisoning';

export const lmConceptRandom: LmUnlearningMethod = {
  name: 'concept_random',
  summary:
    "Replaces the forgotten answers' class-specific words (found by IG) with random words and fine-tunes.",
  defaults: { ...CONCEPT_POISONING_DEFAULTS },
  async run(original, task, options, ctx) {
    const r = await runConceptPoisoning(
      'concept_random',
      this.defaults,
      'random',
      original,
      task,
      options,
      ctx,
    );
    return r.model;
  },
};
