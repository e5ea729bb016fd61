/** `retrain`: the gold standard. The original recipe, from scratch, on the retained data only. */
import { trainFromScratch } from '../../training/fromScratch';
import { Options } from '../options';
import type { UnlearningMethod } from '../types';

export const retrain: UnlearningMethod = {
  name: 'retrain',
  summary: 'Trains a new model from scratch without the forgotten class (slow, exact).',
  defaults: {},
  async run(original, task, options, ctx) {
    new Options('retrain', this.defaults, options);
    return trainFromScratch(task.recipe, [task.retain], {
      shape: original.info.inputShape,
      numClasses: original.info.numClasses,
      seed: ctx.seed,
      signal: ctx.signal,
      onProgress: (fraction, loss) => ctx.onProgress?.({ stage: 'retrain', fraction, loss }),
    });
  },
};
