/** `finetune`: continue training on the retained data only and rely on catastrophic forgetting. */
import { Rng } from '../../engine/random';
import { Options } from '../options';
import type { UnlearningMethod } from '../types';
import { fineTuneCopy, progressOf } from './common';

export const finetune: UnlearningMethod = {
  name: 'finetune',
  summary: 'Fine-tunes on the retained data only (cheap; known to forget poorly).',
  defaults: { epochs: 1, lr: 1e-3, batch_size: 64 },
  async run(original, task, options, ctx) {
    const o = new Options('finetune', this.defaults, options);
    const epochs = o.num('epochs');
    return fineTuneCopy(
      original,
      [task.retain],
      new Rng(ctx.seed),
      { lr: o.num('lr'), batchSize: o.num('batch_size') },
      () => ({
        epochs,
        signal: ctx.signal,
        ...progressOf(ctx, 'finetune', epochs),
      }),
    );
  },
};
