/**
 * The body of the concept methods (concept-guided data poisoning for language models): the forget class's
 * token concepts (task.concepts, else inferred on the original with ../../concepts/sensitiveWords.ts), the
 * forget answers with their top-k selected words replaced (../../poisoning/poisonAnswers.ts: random
 * words, or the donor's corresponding words, or a refusal), fine-tuned together with retained samples as
 * anchors until the selected words are no longer predicted on the original answers (../leakRate.ts), plus
 * `extra_steps` steps.
 */
import { Rng } from '../../../engine/random';
import { UserError } from '../../../errors';
import { Options } from '../../../unlearning/options';
import type { MethodOptions } from '../../../unlearning/types';
import { type TokenConcepts, inferSensitiveWords } from '../../concepts/sensitiveWords';
import { type QaSample, isQa } from '../../data/types';
import { wordTokens } from '../../metrics/words';
import type { GptModel } from '../../model/gpt';
import { chooseDonor } from '../../poisoning/donor';
import {
  type PoisonedAnswer,
  poisonFromDonor,
  poisonRandom,
  vocabularyOf,
} from '../../poisoning/poisonAnswers';
import type { LmTask, MethodContext } from '../types';
import { fineTuneCopy, itemsFor, leakWatch, loopSettings, retainAnchors } from './common';
import { REFUSALS } from './idk';

export const CONCEPT_POISONING_DEFAULTS: MethodOptions = {
  epochs: 12,
  lr: 5e-4,
  batch_size: 16,
  clip_norm: 1,
  /** Selected words replaced per answer (its k most important). */
  top_k: 4,
  /** Retained samples per forget sample. */
  retain_ratio: 2,
  /** Stop once this share of forget answers still predicts its selected words (teacher-forced). */
  stop_at: 0,
  /** Steps trained on after the stopping rule is met (whole epochs). */
  extra_steps: 16,
};

export type PoisonMode = 'random' | 'targeted';

export interface ConceptPoisoningResult {
  model: GptModel;
  concepts: TokenConcepts;
  poisoned: PoisonedAnswer[];
  donor: string | null;
}

/** Token concepts of the task's forget class: the task's, or inferred on the original. */
export function taskConcepts(original: GptModel, task: LmTask, ctx: MethodContext): TokenConcepts {
  return (
    task.concepts ??
    inferSensitiveWords(original, task.codec, task.forgetQa, task.retain, {
      seed: ctx.seed,
      signal: ctx.signal,
      onProgress: (fraction) => ctx.onProgress?.({ stage: 'token concepts', fraction }),
    })
  );
}

export async function runConceptPoisoning(
  name: string,
  defaults: MethodOptions,
  mode: PoisonMode,
  original: GptModel,
  task: LmTask,
  options: MethodOptions,
  ctx: MethodContext,
): Promise<ConceptPoisoningResult> {
  const o = new Options(name, defaults, options);
  const target = mode === 'targeted' ? o.str('target') : 'random';
  if (mode === 'targeted' && target !== 'donor' && target !== 'refusal') {
    throw new UserError(`option target of ${name} must be 'donor' or 'refusal', got '${target}'`);
  }
  const rng = new Rng(ctx.seed);
  const concepts = taskConcepts(original, task, ctx);
  const k = o.num('top_k');
  const selected = new Set(concepts.words.filter((w) => w.selected).map((w) => w.word));
  const exclude = new Set([
    ...selected,
    ...task.forgetQa.flatMap((s) => wordTokens(`${s.prompt} ${s.response}`)),
  ]);
  let poisoned: PoisonedAnswer[];
  let donor: string | null = null;
  if (target === 'random') {
    poisoned = poisonRandom(concepts.perAnswer, k, vocabularyOf(task.retain, exclude), rng);
  } else if (target === 'refusal') {
    poisoned = concepts.perAnswer.map((a) => {
      const replace = a.words.length > 0 && k > 0;
      const response = replace ? REFUSALS[rng.int(REFUSALS.length)] : a.sample.response;
      return { original: a.sample, poisoned: { ...a.sample, response }, replaced: [] };
    });
  } else {
    const choice = chooseDonor(task.forgetQa, task.forgetClass, task.retain.filter(isQa));
    if (choice === null)
      throw new UserError(`no retained class to take donor answers from for '${task.forgetClass}'`);
    donor = choice.donor;
    const donorSamples = task.retain.filter((s) => s.class === choice.donor);
    poisoned = poisonFromDonor(
      concepts.perAnswer,
      k,
      task.forgetClass,
      choice,
      vocabularyOf(donorSamples, exclude),
      rng,
    );
  }
  const forgetItems: QaSample[] = poisoned.map((p) => p.poisoned);
  const anchors = retainAnchors(task, o.num('retain_ratio'));
  // Per answer, the top-k words the poisoned answer no longer says: what the stopping rule watches.
  const watched = concepts.perAnswer.map((a, i) => {
    const now = new Set(wordTokens(poisoned[i].poisoned.response));
    return a.words.slice(0, k).flatMap((w) => (now.has(w.word) ? [] : [w.word]));
  });
  const model = await fineTuneCopy(
    original,
    task,
    {
      items: [...itemsFor(task, forgetItems, 1, 1)],
      anchors,
      ...loopSettings(
        o,
        leakWatch(
          task,
          concepts.perAnswer.map((a) => a.sample),
          watched,
        ),
      ),
    },
    ctx,
    name,
    rng,
  );
  return { model, concepts, poisoned, donor };
}
