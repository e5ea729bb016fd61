/** Building blocks the unlearning methods share. */
import type { Rng } from '../../engine/random';
import { tf } from '../../engine/tf';
import { cloneClassifier } from '../../models/classifier';
import type { Classifier } from '../../models/classifier';
import type { SampleSet } from '../../training/samples';
import { type TrainOptions, Trainer } from '../../training/trainer';
import type { LoopOptions, StepProgress } from '../../training/trainer';
import type { MethodContext, UnlearningTask } from '../types';

/** A random subset of the retain set, `count` samples (all of it when count >= its size). */
export function retainSubset(task: UnlearningTask, count: number, rng: Rng): SampleSet {
  const r = task.retain;
  if (count >= r.indices.length) return r;
  const perm = rng.permutation(r.indices.length).subarray(0, count);
  const indices = new Int32Array(count);
  const targets = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    indices[i] = r.indices[perm[i]];
    targets[i] = r.targets[perm[i]];
  }
  return { split: r.split, indices, targets, weight: r.weight };
}

/** Uniformly random labels in [0, numClasses) other than `exclude`. */
export function randomLabels(n: number, numClasses: number, exclude: number, rng: Rng): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const r = rng.int(numClasses - 1);
    out[i] = r >= exclude ? r + 1 : r;
  }
  return out;
}

/** The same samples trained towards other targets, with another weight. */
export function relabel(set: SampleSet, targets: Int32Array, weight = set.weight): SampleSet {
  return { split: set.split, indices: set.indices, targets, weight };
}

/** Accuracy of the classifier on (at most `max`) samples of a set, against their true labels. */
export function setAccuracy(c: Classifier, set: SampleSet, max = 512): number {
  const n = Math.min(max, set.indices.length);
  if (n === 0) return 0;
  const shape = c.info.inputShape;
  const per = shape[0] * shape[1] * shape[2];
  let correct = 0;
  for (let start = 0; start < n; start += 256) {
    const end = Math.min(n, start + 256);
    const x = new Float32Array((end - start) * per);
    for (let i = start; i < end; i++) {
      const off = set.indices[i] * per;
      for (let j = 0; j < per; j++) x[(i - start) * per + j] = set.split.pixels[off + j] / 255;
    }
    const pred = tf.tidy(() => tf.argMax(c.logits(tf.tensor4d(x, [end - start, ...shape])), 1));
    const p = pred.dataSync();
    pred.dispose();
    for (let i = start; i < end; i++) if (p[i - start] === set.split.labels[set.indices[i]]) correct++;
  }
  return correct / n;
}

/** Splits a set into a part to train on and a small part held out to decide when to stop. */
export function holdOut(set: SampleSet, count: number, rng: Rng): { train: SampleSet; check: SampleSet } {
  const n = set.indices.length;
  const k = Math.min(count, Math.floor(n / 5));
  const perm = rng.permutation(n);
  const pick = (from: number, to: number): SampleSet => {
    const idx = new Int32Array(to - from);
    const tg = new Int32Array(to - from);
    for (let i = from; i < to; i++) {
      idx[i - from] = set.indices[perm[i]];
      tg[i - from] = set.targets[perm[i]];
    }
    return { split: set.split, indices: idx, targets: tg, weight: set.weight };
  };
  return { check: pick(0, k), train: pick(k, n) };
}

/** Progress reporting for a fit of `epochs` epochs inside stage `stage`. */
export function progressOf(ctx: MethodContext, stage: string, epochs: number): Pick<LoopOptions, 'onStep'> {
  return {
    onStep: (p: StepProgress) =>
      ctx.onProgress?.({ stage, fraction: (p.epoch + p.step / p.stepsPerEpoch) / epochs, loss: p.loss }),
  };
}

/**
 * Clones the original and fine-tunes the copy on `sets` (the shared body of every fine-tuning method).
 * `loop` may refer to the copy (e.g. a stopping rule that measures it). The copy is disposed on failure.
 */
export async function fineTuneCopy(
  original: Classifier,
  sets: readonly SampleSet[],
  rng: Rng,
  train: TrainOptions,
  loop: (model: Classifier) => LoopOptions,
): Promise<Classifier> {
  const model = await cloneClassifier(original);
  const trainer = new Trainer(model, train);
  try {
    await trainer.fit(sets, rng, loop(model));
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    trainer.dispose();
  }
  return model;
}
