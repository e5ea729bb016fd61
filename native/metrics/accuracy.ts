/**
 * Classification metrics computed in plain TypeScript from the model's outputs (no TensorFlow).
 *
 * Conventions shared by every metric of this folder:
 * - `probs` is the model's softmax output for n samples, row-major: `probs[i * numClasses + k]`.
 * - `labels` and predictions are class indices in [0, numClasses).
 * - Shape mismatches and out-of-range labels are programming errors and throw a RangeError.
 * - Nothing returns NaN: an empty set gives 0 (callers know when a set is empty).
 */

/** Checks that `probs` holds whole rows of `numClasses` values and returns the number of rows. */
export function rowCount(probs: ArrayLike<number>, numClasses: number): number {
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new RangeError(`numClasses must be a positive integer, got ${numClasses}`);
  }
  if (probs.length % numClasses !== 0) {
    throw new RangeError(`probs has ${probs.length} values, not a multiple of numClasses=${numClasses}`);
  }
  return probs.length / numClasses;
}

/** Checks that every label (or prediction, named by `what`) is an integer in [0, numClasses). */
export function checkLabels(labels: ArrayLike<number>, numClasses: number, what = 'label'): void {
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (!Number.isInteger(y) || y < 0 || y >= numClasses) {
      throw new RangeError(`${what} ${y} at index ${i} is not a class in [0, ${numClasses})`);
    }
  }
}

function checkSameLength(pred: ArrayLike<number>, labels: ArrayLike<number>): void {
  if (pred.length !== labels.length) {
    throw new RangeError(`${pred.length} predictions for ${labels.length} labels`);
  }
}

/** The predicted class of each row (argmax; the lowest class index wins a tie). */
export function predictions(probs: ArrayLike<number>, numClasses: number): Int32Array {
  const n = rowCount(probs, numClasses);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const base = i * numClasses;
    let best = 0;
    let bestP = probs[base];
    for (let k = 1; k < numClasses; k++) {
      const p = probs[base + k];
      if (p > bestP) {
        bestP = p;
        best = k;
      }
    }
    out[i] = best;
  }
  return out;
}

/** Fraction of predictions equal to their label, in [0, 1]; 0 for an empty set. */
export function accuracy(pred: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkSameLength(pred, labels);
  const n = labels.length;
  if (n === 0) return 0;
  let correct = 0;
  for (let i = 0; i < n; i++) if (pred[i] === labels[i]) correct++;
  return correct / n;
}

/** Accuracy of each class over its own samples (recall); null for a class with no sample. */
export function perClassAccuracy(
  pred: ArrayLike<number>,
  labels: ArrayLike<number>,
  numClasses: number,
): (number | null)[] {
  checkSameLength(pred, labels);
  checkLabels(labels, numClasses);
  const total = new Array<number>(numClasses).fill(0);
  const correct = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    total[y]++;
    if (pred[i] === y) correct[y]++;
  }
  return total.map((t, k) => (t === 0 ? null : correct[k] / t));
}

/**
 * Counts `m[trueClass][predictedClass]` (rows: labels, columns: predictions), a numClasses × numClasses
 * matrix of integers.
 */
export function confusionMatrix(
  pred: ArrayLike<number>,
  labels: ArrayLike<number>,
  numClasses: number,
): number[][] {
  checkSameLength(pred, labels);
  checkLabels(labels, numClasses);
  checkLabels(pred, numClasses, 'prediction');
  const m: number[][] = [];
  for (let k = 0; k < numClasses; k++) m.push(new Array<number>(numClasses).fill(0));
  for (let i = 0; i < labels.length; i++) m[labels[i]][pred[i]]++;
  return m;
}
