/**
 * Teacher-forced token log-probabilities and the losses built on them. Every function here is
 * differentiable and expects to run inside tf.tidy (or a gradient function).
 */
import { tf } from '../../engine/tf';
import type { GptModel } from '../model/gpt';
import type { LmBatchTensors } from './batch';

/** log p(target_t | input_0..t) from logits [B, T, V] and int32 targets [B, T]: [B, T]. */
export function targetLogProbs(logits: tf.Tensor3D, target: tf.Tensor2D): tf.Tensor2D {
  const v = logits.shape[2];
  const logp = tf.logSoftmax(logits);
  return tf.sum(tf.mul(logp, tf.oneHot(target, v)), -1) as tf.Tensor2D;
}

/** Per sample, the sum of the masked targets' log-probabilities: [B]. */
export function sequenceLogProbs(model: GptModel, t: LmBatchTensors): tf.Tensor1D {
  return tf.sum(tf.mul(targetLogProbs(model.logits(t.input), t.target), t.mask), 1) as tf.Tensor1D;
}

/** A training loss: a scalar from a batch, differentiable with respect to the model's variables. */
export type LmLoss = (model: GptModel, t: LmBatchTensors) => tf.Scalar;

/**
 * Weighted token cross-entropy: sum over samples and masked targets of weight * (-log p), divided by the
 * number of masked targets of the batch (a per-token mean; negative weights ascend).
 */
export const tokenCrossEntropy: LmLoss = (model, t) => {
  const nll = tf.neg(targetLogProbs(model.logits(t.input), t.target));
  const weighted = tf.mul(tf.mul(nll, t.mask), tf.expandDims(t.weight, 1));
  return tf.div(tf.sum(weighted), tf.maximum(tf.sum(t.mask), 1)) as tf.Scalar;
};
