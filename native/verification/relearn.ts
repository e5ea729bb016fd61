/**
 * How quickly does the forgotten class come back? A copy of the unlearned model is fine-tuned on a small
 * share (`fraction`, default 1%) of the forget class's training samples, mixed with as many random
 * retained samples (`retainPerForget`, default 1: without them the copy would simply learn to predict the
 * forget class for every input, which says nothing about what was remembered), one pass over that small
 * set per epoch (Adam, lr 1e-3, batches of 64), until its accuracy on the forget class's test samples
 * exceeds `threshold` (default 0.5). A model that never knew the class needs many epochs; one that only
 * hides it (e.g. a changed head on an intact representation) comes back in a few.
 */
import type { ImageDataset } from '../data/types';
import { Rng } from '../engine/random';
import { tf } from '../engine/tf';
import { UserError, throwIfAborted } from '../errors';
import { type Classifier, cloneClassifier } from '../models/classifier';
import { gatherImages } from '../training/batches';
import type { SampleSet } from '../training/samples';
import { Trainer } from '../training/trainer';
import type { UnlearningTask } from '../unlearning/types';

export interface RelearnOptions {
  /** Share of the forget set used (default 0.01; at least one sample). */
  fraction?: number;
  /** Epochs at most (default 50). */
  maxEpochs?: number;
  /** Retained samples per forget sample in the set (default 1). */
  retainPerForget?: number;
  /** Forget-test accuracy to exceed (default 0.5). */
  threshold?: number;
  lr?: number;
  batchSize?: number;
  /** Default 0. */
  seed?: number;
  signal?: AbortSignal;
}

export interface RelearnResult {
  /** Epochs until the forget-test accuracy exceeded the threshold (0: it already did); null: never. */
  epochs: number | null;
  /** Forget-test accuracy before training and after every epoch run. */
  accuracies: number[];
  forgetSamples: number;
  retainSamples: number;
  maxEpochs: number;
}

function subset(set: SampleSet, count: number, rng: Rng): SampleSet {
  const perm = rng.permutation(set.indices.length).subarray(0, Math.min(count, set.indices.length));
  const indices = new Int32Array(perm.length);
  const targets = new Int32Array(perm.length);
  perm.forEach((p, i) => {
    indices[i] = set.indices[p];
    targets[i] = set.targets[p];
  });
  return { split: set.split, indices, targets, weight: 1 };
}

/** Accuracy of `c` on the test samples of class `cls`. */
export function classTestAccuracy(c: Classifier, dataset: ImageDataset, cls: number): number {
  const idx: number[] = [];
  for (let i = 0; i < dataset.test.size; i++) if (dataset.test.labels[i] === cls) idx.push(i);
  if (idx.length === 0) return 0;
  let correct = 0;
  for (let start = 0; start < idx.length; start += 256) {
    const part = idx.slice(start, start + 256);
    const pred = tf.tidy(() => tf.argMax(c.logits(gatherImages(dataset.test, part, c.info.inputShape)), 1));
    const p = pred.dataSync();
    pred.dispose();
    for (let i = 0; i < part.length; i++) if (p[i] === cls) correct++;
  }
  return correct / idx.length;
}

/** Relearning time of an unlearned model (see the module comment); the model itself is not modified. */
export async function relearnEpochs(
  classifier: Classifier,
  task: UnlearningTask,
  dataset: ImageDataset,
  opts: RelearnOptions = {},
): Promise<RelearnResult> {
  const fraction = opts.fraction ?? 0.01;
  const maxEpochs = opts.maxEpochs ?? 50;
  const threshold = opts.threshold ?? 0.5;
  if (!(fraction > 0 && fraction <= 1)) throw new UserError(`fraction must be in (0, 1], got ${fraction}`);
  if (!Number.isInteger(maxEpochs) || maxEpochs < 0) {
    throw new UserError(`maxEpochs must be a whole number, got ${maxEpochs}`);
  }
  const rng = new Rng(opts.seed ?? 0);
  const nForget = Math.max(1, Math.round(fraction * task.forget.indices.length));
  const forget = subset(task.forget, nForget, rng);
  const retain = subset(task.retain, Math.round(nForget * (opts.retainPerForget ?? 1)), rng);
  const sets = retain.indices.length > 0 ? [forget, retain] : [forget];
  const accuracies = [classTestAccuracy(classifier, dataset, task.forgetClass)];
  const result = (epochs: number | null): RelearnResult => ({
    epochs,
    accuracies,
    forgetSamples: forget.indices.length,
    retainSamples: retain.indices.length,
    maxEpochs,
  });
  if (accuracies[0] > threshold) return result(0);
  const copy = await cloneClassifier(classifier);
  const trainer = new Trainer(copy, { lr: opts.lr ?? 1e-3, batchSize: opts.batchSize ?? 64 });
  try {
    for (let epoch = 1; epoch <= maxEpochs; epoch++) {
      throwIfAborted(opts.signal);
      await trainer.fit(sets, rng, { epochs: 1, signal: opts.signal });
      const acc = classTestAccuracy(copy, dataset, task.forgetClass);
      accuracies.push(acc);
      if (acc > threshold) return result(epoch);
    }
    return result(null);
  } finally {
    trainer.dispose();
    copy.dispose();
  }
}
