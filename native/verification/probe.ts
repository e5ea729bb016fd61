/**
 * Is the forgotten class still linearly decodable from the unlearned model's embedding? A linear probe
 * (multinomial logistic regression, L2, on standardised embeddings; fitPcbm with l1Ratio 0) is trained on
 * the embeddings of a class-balanced sample of the training split, every class including the forgotten one,
 * and measured on the test split. Its accuracy on the forget class's test samples is high when the class
 * can still be read off the representation, whatever the head now predicts.
 */
import { fitPcbm, pcbmProbs } from '../concepts/pcbm';
import { selectIndices } from '../data/splits';
import type { ImageDataset, ImageSplit } from '../data/types';
import { Rng } from '../engine/random';
import type { Classifier } from '../models/classifier';

export interface ProbeOptions {
  /** Training samples per class for the probe (default 100; fewer when a class has fewer). */
  perClass?: number;
  /** L2 strength on standardised features (default 1e-3). */
  lambda?: number;
  /** FISTA rounds at most (default 300). */
  maxIterations?: number;
}

export interface ProbeResult {
  /** Share of the forget class's test samples the probe assigns to the forget class. */
  forgetAccuracy: number;
  /** The probe's accuracy on the other test samples. */
  retainAccuracy: number;
  /** 1 / number of classes. */
  chance: number;
  trainSamples: number;
  forgetTestSamples: number;
}

/** At most `perClass` samples of every class of `split`, seeded, in split order. */
function balancedIndices(split: ImageSplit, numClasses: number, perClass: number, seed: number): number[] {
  const perm = new Rng(seed).permutation(split.size);
  const counts = new Array<number>(numClasses).fill(0);
  const picked: number[] = [];
  for (const i of perm) {
    const c = split.labels[i];
    if (c >= 0 && c < numClasses && counts[c] < perClass) {
      counts[c]++;
      picked.push(i);
    }
  }
  return picked.sort((a, b) => a - b);
}

/**
 * The strict argmax of each probability row; -1 where the largest value is tied (a probe that cannot tell
 * classes apart, e.g. on a constant embedding, decides nothing).
 */
function strictArgmax(probs: Float64Array, k: number): Int32Array {
  const n = probs.length / k;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = -1;
    let bestValue = Number.NEGATIVE_INFINITY;
    let tied = false;
    for (let c = 0; c < k; c++) {
      const v = probs[i * k + c];
      if (v > bestValue + 1e-12) {
        best = c;
        bestValue = v;
        tied = false;
      } else if (Math.abs(v - bestValue) <= 1e-12) {
        tied = true;
      }
    }
    out[i] = tied ? -1 : best;
  }
  return out;
}

/** Trains the probe and reports its accuracies (see the module comment). */
export function linearProbe(
  classifier: Classifier,
  dataset: ImageDataset,
  forgetClass: number,
  seed: number,
  opts: ProbeOptions = {},
): ProbeResult {
  const k = classifier.info.numClasses;
  const train = selectIndices(
    dataset.train,
    balancedIndices(dataset.train, k, opts.perClass ?? 100, seed + 211),
  );
  const emb = classifier.embed(train);
  const probe = fitPcbm(emb.data, train.labels, emb.dim, k, {
    lambda: opts.lambda ?? 1e-3,
    l1Ratio: 0,
    maxIterations: opts.maxIterations ?? 300,
  });
  const test = classifier.embed(dataset.test);
  const pred = strictArgmax(pcbmProbs(probe, test.data), k);
  let fc = 0;
  let fn = 0;
  let rc = 0;
  let rn = 0;
  for (let i = 0; i < dataset.test.size; i++) {
    const l = dataset.test.labels[i];
    if (l === forgetClass) {
      fn++;
      if (pred[i] === l) fc++;
    } else {
      rn++;
      if (pred[i] === l) rc++;
    }
  }
  return {
    forgetAccuracy: fn > 0 ? fc / fn : 0,
    retainAccuracy: rn > 0 ? rc / rn : 0,
    chance: 1 / k,
    trainSamples: train.size,
    forgetTestSamples: fn,
  };
}

/** The probe's accuracy on the forget class's test samples (linearProbe's forgetAccuracy). */
export function probeForgetAccuracy(
  classifier: Classifier,
  dataset: ImageDataset,
  forgetClass: number,
  seed: number,
  opts: ProbeOptions = {},
): number {
  return linearProbe(classifier, dataset, forgetClass, seed, opts).forgetAccuracy;
}
