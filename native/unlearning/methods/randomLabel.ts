/**
 * `random_label` (Golatkar et al. 2020; the RL baseline of SalUn): the forget samples are given random
 * labels of other classes (drawn again every epoch) and the model is fine-tuned on them together with
 * retained data.
 */
import { Rng } from '../../engine/random';
import type { Tensor } from '../../engine/tf';
import type { Classifier } from '../../models/classifier';
import { Options } from '../options';
import type { UnlearningMethod, UnlearningTask } from '../types';
import type { MethodContext } from '../types';
import {
  fineTuneCopy,
  holdOut,
  progressOf,
  randomLabels,
  relabel,
  retainSubset,
  setAccuracy,
} from './common';

export const RANDOM_LABEL_DEFAULTS = {
  epochs: 3,
  lr: 5e-4,
  batch_size: 64,
  /** Retained samples per forget sample in the mix. */
  retain_ratio: 8,
  /** Stop when accuracy on the held-out forget samples is at or below this... */
  stop_at: 0.01,
  /** ...but not before this many epochs, so that retained accuracy recovers from the relabelling. */
  min_epochs: 1,
};

/** Random-label fine-tuning; SalUn reuses it with gradient masks. */
export async function randomLabelFinetune(
  original: Classifier,
  task: UnlearningTask,
  o: Options,
  ctx: MethodContext,
  stage: string,
  gradMasks?: Tensor[],
): Promise<Classifier> {
  const rng = new Rng(ctx.seed);
  const k = original.info.numClasses;
  const { train, check } = holdOut(task.forget, 256, rng);
  const poisoned = relabel(train, randomLabels(train.indices.length, k, task.forgetClass, rng));
  const retain = retainSubset(task, Math.round(train.indices.length * o.num('retain_ratio')), rng);
  const epochs = o.num('epochs');
  let epochsDone = 0;
  return fineTuneCopy(
    original,
    [poisoned, retain],
    rng,
    { lr: o.num('lr'), batchSize: o.num('batch_size'), gradMasks },
    (model) => ({
      epochs,
      signal: ctx.signal,
      reportEvery: 10,
      shouldStop: () => epochsDone >= o.num('min_epochs') && setAccuracy(model, check) <= o.num('stop_at'),
      afterEpoch: () => {
        epochsDone++;
        poisoned.targets.set(randomLabels(train.indices.length, k, task.forgetClass, rng));
        return epochsDone >= o.num('min_epochs') && setAccuracy(model, check) <= o.num('stop_at');
      },
      ...progressOf(ctx, stage, epochs),
    }),
  );
}

export const randomLabel: UnlearningMethod = {
  name: 'random_label',
  summary: 'Relabels the forgotten samples at random and fine-tunes with retained data.',
  defaults: RANDOM_LABEL_DEFAULTS,
  async run(original, task, options, ctx) {
    return randomLabelFinetune(
      original,
      task,
      new Options('random_label', this.defaults, options),
      ctx,
      'random_label',
    );
  },
};
