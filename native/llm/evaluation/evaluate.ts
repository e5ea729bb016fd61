/**
 * The metrics of one language model on an unlearning task (docs/llm.md):
 *   forget_term_rate       share of greedy answers saying any sensitive word, over the forget questions
 *                          whose original answer has one (the others reveal nothing to forget)
 *   forget_answer_rouge_l  mean ROUGE-L F1 of those answers against the original answers
 *   paraphrase_term_rate   the same on the held-out paraphrases (does forgetting generalise?)
 *   retain_answer_rouge_l  mean ROUGE-L F1 on (a seeded sample of) the retained questions
 *   heldout_perplexity     exp of the mean token NLL of the held-out generic text
 *   mia_auc                loss-based membership inference, forget training samples vs held-out
 *                          paraphrases (0.5: indistinguishable)
 * Metrics that lack their data (no paraphrases, no held-out text) are null.
 */
import { Rng } from '../../engine/random';
import { throwIfAborted } from '../../errors';
import { type QaSample, isQa } from '../data/types';
import { lossMiaAuc } from '../metrics/auc';
import { perplexity } from '../metrics/perplexity';
import { meanRougeLF1 } from '../metrics/rougeL';
import { containsAnyWord, termRate } from '../metrics/termRate';
import type { GptModel } from '../model/gpt';
import type { LmTask } from '../unlearning/types';
import { answerBudget, greedyAnswer } from './answers';
import { meanTokenLosses, scoreSamples } from './scoring';

export interface LmEvaluation {
  forget_term_rate: number;
  forget_answer_rouge_l: number;
  paraphrase_term_rate: number | null;
  retain_answer_rouge_l: number;
  heldout_perplexity: number | null;
  mia_auc: number | null;
}

export interface LmEvaluateOptions {
  /** Retained questions answered (default 120, a seeded sample; all when fewer). */
  maxRetain?: number;
  seed?: number;
  signal?: AbortSignal;
  /** A few greedy answers to the forget questions, for the report. */
  examples?: number;
}

export interface LmEvaluationDetail extends LmEvaluation {
  examples: { prompt: string; reference: string; answer: string }[];
}

function answersTo(
  model: GptModel,
  task: LmTask,
  samples: readonly QaSample[],
  signal?: AbortSignal,
): string[] {
  const budget = answerBudget(
    task.codec,
    samples.map((s) => s.response),
  );
  return samples.map((s) => {
    throwIfAborted(signal);
    return greedyAnswer(model, task.codec, s.prompt, budget);
  });
}

export function evaluateLm(model: GptModel, task: LmTask, opts: LmEvaluateOptions = {}): LmEvaluationDetail {
  const rng = new Rng((opts.seed ?? 0) + 29);
  const retainQa = task.retain.filter(isQa);
  const maxRetain = opts.maxRetain ?? 120;
  const retainPick =
    retainQa.length <= maxRetain
      ? retainQa
      : Array.from(rng.permutation(retainQa.length).subarray(0, maxRetain), (i) => retainQa[i]);

  const forgetAnswers = answersTo(model, task, task.forgetQa, opts.signal);
  const retainAnswers = answersTo(model, task, retainPick, opts.signal);
  const revealing = new Set(task.sensitiveWords);
  const paraphrases = task.paraphrases.filter((p) => containsAnyWord(p.response, revealing));
  const paraAnswers = answersTo(model, task, paraphrases, opts.signal);
  const measured = task.forgetQa.flatMap((s, i) =>
    containsAnyWord(s.response, revealing) ? [forgetAnswers[i]] : [],
  );
  throwIfAborted(opts.signal);

  let heldout: number | null = null;
  if (task.heldoutText.length > 0) {
    const scores = scoreSamples(
      model,
      task.codec,
      task.heldoutText.map((text) => ({ kind: 'text' as const, class: '', text })),
    );
    heldout = perplexity(
      scores.reduce((s, x) => s + x.nll, 0),
      scores.reduce((s, x) => s + x.tokens, 0),
    );
  }
  let mia: number | null = null;
  if (task.paraphrases.length > 0 && task.forgetQa.length > 0) {
    const members = meanTokenLosses(scoreSamples(model, task.codec, task.forgetQa));
    const nonMembers = meanTokenLosses(scoreSamples(model, task.codec, task.paraphrases));
    mia = lossMiaAuc(members, nonMembers);
  }
  const n = Math.min(opts.examples ?? 5, task.forgetQa.length);
  const step = Math.max(1, Math.floor(task.forgetQa.length / Math.max(1, n)));
  return {
    forget_term_rate: termRate(measured, task.sensitiveWords),
    forget_answer_rouge_l: meanRougeLF1(
      forgetAnswers,
      task.forgetQa.map((s) => s.response),
    ),
    paraphrase_term_rate: paraphrases.length > 0 ? termRate(paraAnswers, task.sensitiveWords) : null,
    retain_answer_rouge_l: meanRougeLF1(
      retainAnswers,
      retainPick.map((s) => s.response),
    ),
    heldout_perplexity: heldout,
    mia_auc: mia,
    examples: Array.from({ length: n }, (_, j) => j * step).map((i) => ({
      prompt: task.forgetQa[i].prompt,
      reference: task.forgetQa[i].response,
      answer: forgetAnswers[i],
    })),
  };
}
