/** `retrain`: the gold standard. The original recipe, from scratch, on the retained samples only. */
import { Options } from '../../../unlearning/options';
import { trainLmFromScratch } from '../../training/fromScratch';
import type { LmUnlearningMethod } from '../types';

export const lmRetrain: LmUnlearningMethod = {
  name: 'retrain',
  summary: 'Trains a new model from scratch without the forgotten class (slow, exact).',
  defaults: {},
  async run(_original, task, options, ctx) {
    new Options('retrain', this.defaults, options);
    return trainLmFromScratch(task.recipe, task.codec, task.retain, {
      seed: ctx.seed,
      signal: ctx.signal,
      onProgress: (fraction, loss) => ctx.onProgress?.({ stage: 'retrain', fraction, loss }),
    });
  },
};
