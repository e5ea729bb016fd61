/**
 * The demo's token concept stage: Integrated Gradients on the original model over the forget class's
 * questions and retained samples (native/llm/concepts/sensitiveWords.ts), compared with the data-derived
 * sensitive words, and the donor concept_targeted will take words from. Its result is handed to the
 * concept methods through the task.
 */
import {
  type SensitiveWordOptions,
  type TokenConcepts,
  inferSensitiveWords,
} from '../concepts/sensitiveWords';
import { isQa } from '../data/types';
import type { GptModel } from '../model/gpt';
import { chooseDonor } from '../poisoning/donor';
import type { LmTask } from '../unlearning/types';
import type { SensitiveWordsReport } from './report';

export function runLlmConceptStage(
  model: GptModel,
  task: LmTask,
  opts: SensitiveWordOptions,
): { concepts: TokenConcepts; report: SensitiveWordsReport } {
  const concepts = inferSensitiveWords(model, task.codec, task.forgetQa, task.retain, opts);
  const truth = new Set(task.sensitiveWords);
  const selected = concepts.words.filter((w) => w.selected).map((w) => w.word);
  const hits = selected.filter((w) => truth.has(w)).length;
  const donor = chooseDonor(task.forgetQa, task.forgetClass, task.retain.filter(isQa));
  const report: SensitiveWordsReport = {
    rows: concepts.words.slice(0, 30).map((w) => ({
      word: w.word,
      importance: w.importance,
      retain_importance: w.retainImportance,
      shared: w.shared,
      in_prompt: w.inPrompt,
      selected: w.selected,
      ground_truth: truth.has(w.word),
      answers: w.answers,
    })),
    selected,
    ground_truth: [...task.sensitiveWords],
    precision: selected.length > 0 ? hits / selected.length : null,
    recall: truth.size > 0 ? hits / truth.size : null,
    completeness_max_gap: concepts.completenessMaxGap,
    ig: { steps: concepts.options.steps, rule: concepts.options.rule, baseline: concepts.options.baseline },
    shared_ratio: concepts.options.shared_ratio,
    samples: concepts.samples,
    donor: donor ? { name: donor.donor, similarity: donor.similarity } : null,
    seconds: concepts.seconds,
  };
  return { concepts, report };
}
