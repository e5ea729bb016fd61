/**
 * `concept_targeted`: each forget answer's top-k token concepts replaced by the corresponding words of a
 * donor entity (the retained class whose questions match best), or the answer replaced by a refusal
 * (option target = refusal), fine-tuned with retained anchors (conceptPoisoning.ts, docs/llm.md).
 */
import type { LmUnlearningMethod } from '../types';
import { CONCEPT_POISONING_DEFAULTS, runConceptPoisoning } from './conceptPoisoning';

export const lmConceptTargeted: LmUnlearningMethod = {
  name: 'concept_targeted',
  summary:
    "Replaces the forgotten answers' class-specific words (found by IG) with a similar entity's and fine-tunes.",
  defaults: { ...CONCEPT_POISONING_DEFAULTS, target: 'donor' },
  async run(original, task, options, ctx) {
    const r = await runConceptPoisoning(
      'concept_targeted',
      this.defaults,
      'targeted',
      original,
      task,
      options,
      ctx,
    );
    return r.model;
  },
};
