/**
 * `random_label` (Golatkar et al. 2020; the RL baseline of SalUn): the forget samples are given random
 * labels of other classes (drawn again every epoch) and the model is fine-tuned on them together with
 * retained data.
 */
import { Rng } from '../../engine/random';
import type { Tensor } from '../../engine/tf';
import { cloneClassifier } from '../../models/classifier';
import type { Classifier } from '../../models/classifier';
import { Trainer } from '../../training/trainer';
import { Options } from '../options';
import type { UnlearningMethod, UnlearningTask } from '../types';
import type { MethodContext } from '../types';
import { holdOut, progressOf, randomLabels, relabel, retainSubset, setAccuracy } from './common';

export const RANDOM_LABEL_DEFAULTS = {
  epochs: 3,
  lr: 5e-4,
  batch_size: 64,
  /** Retained samples per forget sample in the mix. */
  retain_ratio: 2,
  /** Stop when accuracy on the held-out forget samples is at or below this. */
  stop_at: 0.01,
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
  const model = await cloneClassifier(original);
  const { train, check } = holdOut(task.forget, 256, rng);
  const poisoned = relabel(train, randomLabels(train.indices.length, k, task.forgetClass, rng));
  const retain = retainSubset(task, Math.round(train.indices.length * o.num('retain_ratio')), rng);
  const trainer = new Trainer(model, { lr: o.num('lr'), batchSize: o.num('batch_size'), gradMasks });
  const epochs = o.num('epochs');
  try {
    await trainer.fit([poisoned, retain], rng, {
      epochs,
      signal: ctx.signal,
      reportEvery: 10,
      shouldStop: () => setAccuracy(model, check) <= o.num('stop_at'),
      afterEpoch: () => {
        poisoned.targets.set(randomLabels(train.indices.length, k, task.forgetClass, rng));
        return false;
      },
      ...progressOf(ctx, stage, epochs),
    });
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    trainer.dispose();
  }
  return model;
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
