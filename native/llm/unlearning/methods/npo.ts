/**
 * `npo`, Negative Preference Optimisation (Zhang et al., 2024) with a retain term: on the forget answers
 *   L_NPO = -(2 / beta) log sigmoid(-beta (log p(y|x) - log p_ref(y|x)))
 * where p_ref is the original model (its log-probabilities computed once, before training) and
 * log p(y|x) is the answer's summed token log-probability; plus retain_weight times the token
 * cross-entropy of retained samples in the same batches. Unlike gradient ascent the forget term saturates
 * once the answer is much less likely than under the reference.
 */
import { Rng } from '../../../engine/random';
import { tf } from '../../../engine/tf';
import { Options } from '../../../unlearning/options';
import { type LmLoss, targetLogProbs } from '../../training/loss';
import type { LmUnlearningMethod } from '../types';
import {
  fineTuneCopy,
  itemsFor,
  leakWatch,
  loopSettings,
  retainAnchors,
  withReferenceLogProbs,
} from './common';

/** The loss of the module comment; items of group 1 are forget samples (with ref), group 0 retained ones. */
export function npoLoss(beta: number, retainWeight: number): LmLoss {
  return (model, t) => {
    const lp = targetLogProbs(model.logits(t.input), t.target);
    const seq = tf.sum(tf.mul(lp, t.mask), 1);
    const forget = t.group;
    const retain = tf.sub(1, forget);
    // -(2/beta) log sigmoid(z) = (2/beta) softplus(-z), z = -beta (log p - log p_ref). (tf.logSigmoid's
    // custom gradient loses its input inside tf.tidy, so softplus, whose gradient is a kernel's.)
    const npo = tf.mul(tf.softplus(tf.mul(tf.sub(seq, t.ref), beta)), 2 / beta);
    const forgetTerm = tf.div(tf.sum(tf.mul(npo, forget)), tf.maximum(tf.sum(forget), 1));
    const retainMask = tf.mul(t.mask, tf.expandDims(retain, 1));
    const retainTerm = tf.div(tf.sum(tf.mul(tf.neg(lp), retainMask)), tf.maximum(tf.sum(retainMask), 1));
    return tf.add(forgetTerm, tf.mul(retainTerm, retainWeight)) as tf.Scalar;
  };
}

export const lmNpo: LmUnlearningMethod = {
  name: 'npo',
  summary: 'Negative Preference Optimisation against the original model, with retained samples as anchors.',
  defaults: {
    epochs: 10,
    lr: 1e-4,
    batch_size: 16,
    clip_norm: 1,
    beta: 0.1,
    retain_weight: 1,
    retain_ratio: 2,
    stop_at: 0,
    extra_steps: 0,
  },
  async run(original, task, options, ctx) {
    const o = new Options('npo', this.defaults, options);
    const rng = new Rng(ctx.seed);
    const anchors = retainAnchors(task, o.num('retain_ratio'));
    const forget = withReferenceLogProbs(original, task.codec, itemsFor(task, task.forgetQa, 1, 1));
    const settings = loopSettings(o, leakWatch(task, task.forgetQa, task.sensitiveWords));
    return fineTuneCopy(
      original,
      task,
      {
        items: [...forget],
        anchors,
        ...settings,
        train: { ...settings.train, loss: npoLoss(o.num('beta'), o.num('retain_weight')) },
      },
      ctx,
      'npo',
      rng,
    );
  },
};
