/**
 * Training data as the training loop sees it: sets of samples (a split, which of its samples, the label
 * each is trained towards, and a loss weight: negative for gradient ascent), mixed and cut into batches.
 */
import type { ImageSplit } from '../data/types';
import type { Rng } from '../engine/random';
import { tf } from '../engine/tf';

export interface SampleSet {
  split: ImageSplit;
  /** Indices into `split`. */
  indices: Int32Array;
  /** The label each sample is trained towards (same length as indices). */
  targets: Int32Array;
  /** Loss weight of every sample of the set (1 = ordinary descent, < 0 = ascent). */
  weight: number;
}

/** All samples of a split with their own labels. */
export function wholeSplit(split: ImageSplit, weight = 1): SampleSet {
  const indices = new Int32Array(split.size);
  for (let i = 0; i < split.size; i++) indices[i] = i;
  return { split, indices, targets: split.labels.slice(), weight };
}

/** The samples of `split` at `indices`, with their own labels. */
export function samplesAt(split: ImageSplit, indices: Int32Array, weight = 1): SampleSet {
  const targets = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) targets[i] = split.labels[indices[i]];
  return { split, indices, targets, weight };
}

/** One shuffled pass over every sample of every set: (set, position) pairs. */
export interface EpochPlan {
  set: Int32Array;
  pos: Int32Array;
  size: number;
}

export function planEpoch(sets: readonly SampleSet[], rng: Rng): EpochPlan {
  const size = sets.reduce((n, s) => n + s.indices.length, 0);
  const set = new Int32Array(size);
  const pos = new Int32Array(size);
  let k = 0;
  sets.forEach((s, si) => {
    for (let i = 0; i < s.indices.length; i++) {
      set[k] = si;
      pos[k] = i;
      k++;
    }
  });
  const perm = rng.permutation(size);
  const set2 = new Int32Array(size);
  const pos2 = new Int32Array(size);
  for (let i = 0; i < size; i++) {
    set2[i] = set[perm[i]];
    pos2[i] = pos[perm[i]];
  }
  return { set: set2, pos: pos2, size };
}

export interface Batch {
  x: tf.Tensor4D;
  targets: Int32Array;
  weights: Float32Array;
  /** Whether every weight is 1 (plain cross-entropy). */
  uniform: boolean;
}

/** Builds the batch of plan entries start..end-1 (host arrays to tensors, no read-back). */
export function buildBatch(
  sets: readonly SampleSet[],
  plan: EpochPlan,
  start: number,
  end: number,
  shape: readonly [number, number, number],
): Batch {
  const per = shape[0] * shape[1] * shape[2];
  const n = end - start;
  const x = new Float32Array(n * per);
  const targets = new Int32Array(n);
  const weights = new Float32Array(n);
  let uniform = true;
  for (let i = 0; i < n; i++) {
    const s = sets[plan.set[start + i]];
    const p = plan.pos[start + i];
    const off = s.indices[p] * per;
    const px = s.split.pixels;
    const dst = i * per;
    for (let j = 0; j < per; j++) x[dst + j] = px[off + j] * (1 / 255);
    targets[i] = s.targets[p];
    weights[i] = s.weight;
    if (s.weight !== 1) uniform = false;
  }
  return { x: tf.tensor4d(x, [n, shape[0], shape[1], shape[2]]), targets, weights, uniform };
}
