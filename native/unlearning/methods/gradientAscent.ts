/**
 * `gradient_ascent` (NegGrad+, Kurmanji et al. 2023): ascend the loss on the forget set while descending
 * it on retained data, in the same batches; stops as soon as a held-out part of the forget set is
 * no longer recognised, before the ascent damages the rest of the model.
 */
import { Rng } from '../../engine/random';
import { Options } from '../options';
import type { UnlearningMethod } from '../types';
import { fineTuneCopy, holdOut, progressOf, retainSubset, setAccuracy } from './common';

export const gradientAscent: UnlearningMethod = {
  name: 'gradient_ascent',
  summary: 'Pushes the loss on the forgotten class up while keeping it down on retained data (NegGrad+).',
  defaults: {
    epochs: 3,
    lr: 2e-4,
    batch_size: 64,
    /** Weight of the (negated) forget loss relative to the retain loss. */
    forget_weight: 0.5,
    /** Retained samples per forget sample in the mix. */
    retain_ratio: 2,
    clip_norm: 5,
    /** Stop when accuracy on the held-out forget samples is at or below this. */
    stop_at: 0.01,
  },
  async run(original, task, options, ctx) {
    const o = new Options('gradient_ascent', this.defaults, options);
    const rng = new Rng(ctx.seed);
    const { train, check } = holdOut(task.forget, 256, rng);
    const ascend = { ...train, weight: -o.num('forget_weight') };
    const retain = retainSubset(task, Math.round(train.indices.length * o.num('retain_ratio')), rng);
    const epochs = o.num('epochs');
    return fineTuneCopy(
      original,
      [ascend, retain],
      rng,
      { lr: o.num('lr'), batchSize: o.num('batch_size'), clipNorm: o.num('clip_norm') },
      (model) => ({
        epochs,
        signal: ctx.signal,
        reportEvery: 10,
        shouldStop: () => setAccuracy(model, check) <= o.num('stop_at'),
        ...progressOf(ctx, 'gradient_ascent', epochs),
      }),
    );
  },
};
