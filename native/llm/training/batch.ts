/**
 * Training items (a token sequence with a per-sample weight, and optional per-sample values a loss may
 * use) and their right-padded batches. Padding repeats end-of-text with mask 0: attention is causal, so
 * padding never changes the logits of real positions, and masked targets never reach the loss.
 */
import { tf } from '../../engine/tf';
import type { TokenSequence } from './sequences';

export interface LmItem {
  seq: TokenSequence;
  /** Multiplies the sample's loss (negative: gradient ascent). Default 1. */
  weight?: number;
  /** Per-sample value for a loss (e.g. NPO's reference log-probability). */
  ref?: number;
  /** Per-sample group for a loss (e.g. 1 = forget, 0 = retain). */
  group?: number;
}

/** A right-padded batch on the host: [batch, time] row-major. */
export interface LmBatch {
  batch: number;
  time: number;
  input: Int32Array;
  target: Int32Array;
  /** 1 on trained targets, 0 on prompt and padding. */
  mask: Float32Array;
  weight: Float32Array;
  ref: Float32Array;
  group: Float32Array;
}

/** The batch of `items` (in order), padded with `padId` to the longest one. */
export function buildBatch(items: readonly LmItem[], padId: number): LmBatch {
  const batch = items.length;
  if (batch === 0) throw new RangeError('a batch needs at least one item');
  const time = Math.max(...items.map((it) => it.seq.ids.length - 1));
  const input = new Int32Array(batch * time).fill(padId);
  const target = new Int32Array(batch * time).fill(padId);
  const mask = new Float32Array(batch * time);
  const weight = new Float32Array(batch);
  const ref = new Float32Array(batch);
  const group = new Float32Array(batch);
  items.forEach((it, b) => {
    const { ids, mask: m } = it.seq;
    for (let t = 0; t + 1 < ids.length; t++) {
      input[b * time + t] = ids[t];
      target[b * time + t] = ids[t + 1];
      mask[b * time + t] = m[t];
    }
    weight[b] = it.weight ?? 1;
    ref[b] = it.ref ?? 0;
    group[b] = it.group ?? 0;
  });
  return { batch, time, input, target, mask, weight, ref, group };
}

/** The batch as tensors (create inside tf.tidy). */
export interface LmBatchTensors {
  input: tf.Tensor2D;
  target: tf.Tensor2D;
  mask: tf.Tensor2D;
  weight: tf.Tensor1D;
  ref: tf.Tensor1D;
  group: tf.Tensor1D;
}

export function batchTensors(b: LmBatch): LmBatchTensors {
  return {
    input: tf.tensor2d(b.input, [b.batch, b.time], 'int32'),
    target: tf.tensor2d(b.target, [b.batch, b.time], 'int32'),
    mask: tf.tensor2d(b.mask, [b.batch, b.time]),
    weight: tf.tensor1d(b.weight),
    ref: tf.tensor1d(b.ref),
    group: tf.tensor1d(b.group),
  };
}
