/**
 * The metrics of one model for one forget class: accuracies on the forget and retained classes
 * (train and test), per-class test accuracy, and the membership-inference forget rate.
 */
import type { ImageDataset } from '../data/types';
import { accuracy, perClassAccuracy, predictions } from '../metrics/accuracy';
import type { UnlearningMetrics } from '../metrics/gap';
import { miaForgetRate, trainMiaAttack } from '../metrics/mia';
import type { Classifier } from '../models/classifier';

export interface Evaluation extends UnlearningMetrics {
  test_acc: number;
  per_class_test_acc: (number | null)[];
  /** Balanced accuracy of the attack on its own training data (retain-train vs held-out). */
  mia_attack_acc: number;
}

function rowsWhere(probs: Float32Array, labels: Int32Array, k: number, keep: (label: number) => boolean) {
  let n = 0;
  for (let i = 0; i < labels.length; i++) if (keep(labels[i])) n++;
  const p = new Float32Array(n * k);
  const l = new Int32Array(n);
  let j = 0;
  for (let i = 0; i < labels.length; i++) {
    if (!keep(labels[i])) continue;
    p.set(probs.subarray(i * k, (i + 1) * k), j * k);
    l[j++] = labels[i];
  }
  return { probs: p, labels: l };
}

function splitAccuracy(probs: Float32Array, labels: Int32Array, k: number): number {
  return accuracy(predictions(probs, k), labels);
}

export function evaluate(
  c: Classifier,
  dataset: ImageDataset,
  forgetClass: number,
  seed: number,
): Evaluation {
  const k = c.info.numClasses;
  const isForget = (l: number) => l === forgetClass;
  const isRetain = (l: number) => l !== forgetClass;
  const trainProbs = c.predictProbs(dataset.train);
  const testProbs = c.predictProbs(dataset.test);
  const heldProbs = c.predictProbs(dataset.heldout);
  const fTrain = rowsWhere(trainProbs, dataset.train.labels, k, isForget);
  const rTrain = rowsWhere(trainProbs, dataset.train.labels, k, isRetain);
  const fTest = rowsWhere(testProbs, dataset.test.labels, k, isForget);
  const rTest = rowsWhere(testProbs, dataset.test.labels, k, isRetain);
  const rHeld = rowsWhere(heldProbs, dataset.heldout.labels, k, isRetain);
  const attack = trainMiaAttack(rTrain, rHeld, k, { seed });
  return {
    test_acc: splitAccuracy(testProbs, dataset.test.labels, k),
    forget_train_acc: splitAccuracy(fTrain.probs, fTrain.labels, k),
    forget_test_acc: splitAccuracy(fTest.probs, fTest.labels, k),
    retain_train_acc: splitAccuracy(rTrain.probs, rTrain.labels, k),
    retain_test_acc: splitAccuracy(rTest.probs, rTest.labels, k),
    mia_forget_rate: miaForgetRate(attack, fTrain.probs, fTrain.labels),
    mia_attack_acc: attack.trainAccuracy,
    per_class_test_acc: perClassAccuracy(predictions(testProbs, k), dataset.test.labels, k),
  };
}
