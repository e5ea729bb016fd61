/**
 * `gradient_ascent`: ascend the answer loss of the forget samples, alone, until the stopping rule says the
 * sensitive words are no longer predicted (a stronger ascent quickly wrecks the whole model).
 */
import { Rng } from '../../../engine/random';
import { Options } from '../../../unlearning/options';
import type { LmUnlearningMethod } from '../types';
import { fineTuneCopy, itemsFor, leakWatch, loopSettings } from './common';

export const lmGradientAscent: LmUnlearningMethod = {
  name: 'gradient_ascent',
  summary: 'Pushes the loss of the forgotten answers up until their sensitive words are no longer predicted.',
  defaults: { epochs: 10, lr: 1e-4, batch_size: 16, clip_norm: 1, stop_at: 0, extra_steps: 0 },
  async run(original, task, options, ctx) {
    const o = new Options('gradient_ascent', this.defaults, options);
    return fineTuneCopy(
      original,
      task,
      {
        items: itemsFor(task, task.forgetQa, -1, 1),
        ...loopSettings(o, leakWatch(task, task.forgetQa, task.sensitiveWords)),
      },
      ctx,
      'gradient_ascent',
      new Rng(ctx.seed),
    );
  },
};
