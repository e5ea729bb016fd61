/** `finetune`: continue training on the retained data only and rely on catastrophic forgetting. */
import { Rng } from '../../engine/random';
import { cloneClassifier } from '../../models/classifier';
import { Trainer } from '../../training/trainer';
import { Options } from '../options';
import type { UnlearningMethod } from '../types';
import { progressOf } from './common';

export const finetune: UnlearningMethod = {
  name: 'finetune',
  summary: 'Fine-tunes on the retained data only (cheap; known to forget poorly).',
  defaults: { epochs: 1, lr: 1e-3, batch_size: 64 },
  async run(original, task, options, ctx) {
    const o = new Options('finetune', this.defaults, options);
    const model = await cloneClassifier(original);
    const trainer = new Trainer(model, { lr: o.num('lr'), batchSize: o.num('batch_size') });
    try {
      const epochs = o.num('epochs');
      await trainer.fit([task.retain], new Rng(ctx.seed), {
        epochs,
        signal: ctx.signal,
        ...progressOf(ctx, 'finetune', epochs),
      });
    } catch (e) {
      model.dispose();
      throw e;
    } finally {
      trainer.dispose();
    }
    return model;
  },
};
