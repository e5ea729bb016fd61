/**
 * `idk`: fine-tune the forget questions towards refusals ("I don't know." and similar, one drawn per
 * question) together with retained samples as anchors, until the original answers' sensitive words are
 * no longer what the model would say (the stopping rule of ../leakRate.ts).
 */
import { Rng } from '../../../engine/random';
import { Options } from '../../../unlearning/options';
import type { QaSample } from '../../data/types';
import type { LmUnlearningMethod } from '../types';
import { fineTuneCopy, itemsFor, leakWatch, loopSettings, retainAnchors } from './common';

export const REFUSALS: readonly string[] = [
  "I don't know.",
  'I have no idea.',
  'I am not sure about that.',
  'I cannot answer that.',
  'That is unknown to me.',
];

/** The samples with their answers replaced by seeded random refusals. */
export function refusalAnswers(samples: readonly QaSample[], rng: Rng): QaSample[] {
  return samples.map((s) => ({ ...s, response: REFUSALS[rng.int(REFUSALS.length)] }));
}

export const lmIdk: LmUnlearningMethod = {
  name: 'idk',
  summary:
    'Teaches refusals ("I don\'t know.") for the forgotten questions, with retained samples as anchors.',
  defaults: {
    epochs: 10,
    lr: 3e-4,
    batch_size: 16,
    clip_norm: 1,
    retain_ratio: 2,
    stop_at: 0,
    /** Steps trained on after the stopping rule is met (whole epochs), as the concept methods. */
    extra_steps: 16,
  },
  async run(original, task, options, ctx) {
    const o = new Options('idk', this.defaults, options);
    const rng = new Rng(ctx.seed);
    const anchors = retainAnchors(task, o.num('retain_ratio'));
    const refusals = refusalAnswers(task.forgetQa, rng);
    return fineTuneCopy(
      original,
      task,
      {
        items: [...itemsFor(task, refusals, 1, 1)],
        anchors,
        ...loopSettings(o, leakWatch(task, task.forgetQa, task.sensitiveWords)),
      },
      ctx,
      'idk',
      rng,
    );
  },
};
