/**
 * `grad_diff` (gradient difference): in the same batches, ascend the answer loss of the forget samples and
 * descend it on retained samples, until the stopping rule is met.
 */
import { Rng } from '../../../engine/random';
import { Options } from '../../../unlearning/options';
import type { LmUnlearningMethod } from '../types';
import { fineTuneCopy, itemsFor, leakWatch, loopSettings, retainAnchors } from './common';

export const lmGradDiff: LmUnlearningMethod = {
  name: 'grad_diff',
  summary: 'Ascends the loss of the forgotten answers while descending it on retained samples.',
  defaults: {
    epochs: 10,
    lr: 3e-4,
    batch_size: 16,
    clip_norm: 1,
    /** Weight of the (negated) forget loss relative to the retain loss. */
    forget_weight: 1,
    /** Retained samples per forget sample. */
    retain_ratio: 2,
    stop_at: 0,
    extra_steps: 0,
  },
  async run(original, task, options, ctx) {
    const o = new Options('grad_diff', this.defaults, options);
    const rng = new Rng(ctx.seed);
    const anchors = retainAnchors(task, o.num('retain_ratio'));
    return fineTuneCopy(
      original,
      task,
      {
        items: [...itemsFor(task, task.forgetQa, -o.num('forget_weight'), 1)],
        anchors,
        ...loopSettings(o, leakWatch(task, task.forgetQa, task.sensitiveWords)),
      },
      ctx,
      'grad_diff',
      rng,
    );
  },
};
