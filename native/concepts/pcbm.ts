/**
 * Post-hoc concept bottleneck model (Yuksekgonul et al., 2023): a sparse multinomial logistic regression
 * from concept scores to classes. Scores are standardised with the training statistics; the objective is
 *
 *   (1/n) sum_i CE(softmax(z_i W + b), y_i) + lambda * (alpha |W|_1 + (1 - alpha) / 2 |W|_2^2)
 *
 * (elastic net, mostly L1: alpha = 0.9 by default; the bias is not penalised), minimised by FISTA
 * (accelerated proximal gradient with backtracking): a gradient step on the smooth part, then
 * soft-thresholding. Weights are reported in standardised units, so they compare across concepts.
 */
import { UserError } from '../errors';

export interface PcbmOptions {
  /** Penalty strength (default 0.01). */
  lambda?: number;
  /** Share of L1 in the penalty (default 0.9). */
  l1Ratio?: number;
  /** Default 1000. */
  maxIterations?: number;
  /** Stop when no parameter moves more than this in one step (default 1e-5). */
  tolerance?: number;
}

export interface Pcbm {
  numConcepts: number;
  numClasses: number;
  /** Standardisation of the scores. */
  mean: Float64Array;
  scale: Float64Array;
  /** numConcepts * numClasses, row-major (concept rows), in standardised units. */
  weights: Float64Array;
  bias: Float64Array;
  lambda: number;
  l1Ratio: number;
  iterations: number;
  /** Number of non-zero weights. */
  nonZero: number;
}

export interface PcbmReport {
  /** PCBM accuracy on the given labels. */
  accuracy: number;
  /** The original model's accuracy on the same samples. */
  modelAccuracy: number;
  /** Share of samples where the PCBM predicts what the original model predicts. */
  fidelity: number;
  nonZero: number;
  /** Share of zero weights. */
  sparsity: number;
}

function softmaxRows(logits: Float64Array, n: number, k: number): void {
  for (let i = 0; i < n; i++) {
    let m = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < k; c++) m = Math.max(m, logits[i * k + c]);
    let s = 0;
    for (let c = 0; c < k; c++) {
      const e = Math.exp(logits[i * k + c] - m);
      logits[i * k + c] = e;
      s += e;
    }
    for (let c = 0; c < k; c++) logits[i * k + c] /= s;
  }
}

/** Fits a PCBM on concept scores (n * numConcepts, row-major) and labels in [0, numClasses). */
export function fitPcbm(
  scores: Float32Array,
  labels: Int32Array,
  numConcepts: number,
  numClasses: number,
  opts: PcbmOptions = {},
): Pcbm {
  const lambda = opts.lambda ?? 0.01;
  const alpha = opts.l1Ratio ?? 0.9;
  const maxIterations = opts.maxIterations ?? 1000;
  const tolerance = opts.tolerance ?? 1e-5;
  if (!(lambda >= 0)) throw new UserError(`PCBM lambda must be at least 0, got ${lambda}`);
  if (!(alpha >= 0 && alpha <= 1)) throw new UserError(`PCBM l1Ratio must be between 0 and 1, got ${alpha}`);
  const d = numConcepts;
  const k = numClasses;
  const n = labels.length;
  if (scores.length !== n * d)
    throw new RangeError(`${scores.length} scores for ${n} samples of ${d} concepts`);
  if (n === 0) throw new UserError('a PCBM needs at least one training sample');
  if (d === 0) throw new UserError('a PCBM needs at least one concept (every concept was dropped?)');
  for (let i = 0; i < n; i++) {
    if (!(labels[i] >= 0 && labels[i] < k))
      throw new RangeError(`label ${labels[i]} at ${i} not in [0, ${k})`);
  }

  const mean = new Float64Array(d);
  const scale = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += scores[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const v = scores[i * d + j] - mean[j];
      scale[j] += v * v;
    }
  }
  for (let j = 0; j < d; j++) {
    const sd = Math.sqrt(scale[j] / n);
    scale[j] = sd > 1e-8 ? sd : 1;
  }
  const z = new Float64Array(n * d);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) z[i * d + j] = (scores[i * d + j] - mean[j]) / scale[j];

  const l2 = lambda * (1 - alpha);
  const l1 = lambda * alpha;
  const p = d * k + k; // weights then bias
  const probs = new Float64Array(n * k);
  /** Smooth objective at theta; fills `grad` when given. */
  const smooth = (theta: Float64Array, grad?: Float64Array): number => {
    probs.fill(0);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < k; c++) {
        let s = theta[d * k + c];
        for (let j = 0; j < d; j++) s += z[i * d + j] * theta[j * k + c];
        probs[i * k + c] = s;
      }
    }
    // Cross-entropy from logits, then turn them into probabilities.
    let loss = 0;
    for (let i = 0; i < n; i++) {
      let m = Number.NEGATIVE_INFINITY;
      for (let c = 0; c < k; c++) m = Math.max(m, probs[i * k + c]);
      let s = 0;
      for (let c = 0; c < k; c++) s += Math.exp(probs[i * k + c] - m);
      loss += m + Math.log(s) - probs[i * k + labels[i]];
    }
    softmaxRows(probs, n, k);
    loss /= n;
    let r = 0;
    for (let a = 0; a < d * k; a++) r += theta[a] * theta[a];
    loss += 0.5 * l2 * r;
    if (grad) {
      grad.fill(0);
      for (let i = 0; i < n; i++) {
        for (let c = 0; c < k; c++) {
          const e = (probs[i * k + c] - (labels[i] === c ? 1 : 0)) / n;
          grad[d * k + c] += e;
          for (let j = 0; j < d; j++) grad[j * k + c] += z[i * d + j] * e;
        }
      }
      for (let a = 0; a < d * k; a++) grad[a] += l2 * theta[a];
    }
    return loss;
  };

  let x = new Float64Array(p);
  let y = new Float64Array(p);
  let tk = 1;
  let step = 1;
  const grad = new Float64Array(p);
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    const fy = smooth(y, grad);
    let next = new Float64Array(p);
    // Backtracking on the quadratic upper bound of the smooth part.
    for (let tries = 0; tries < 60; tries++) {
      for (let a = 0; a < p; a++) {
        const v = y[a] - step * grad[a];
        if (a >= d * k) next[a] = v;
        else {
          const shrunk = Math.abs(v) - step * l1;
          next[a] = shrunk > 0 ? Math.sign(v) * shrunk : 0;
        }
      }
      let lin = 0;
      let quad = 0;
      for (let a = 0; a < p; a++) {
        const diff = next[a] - y[a];
        lin += grad[a] * diff;
        quad += diff * diff;
      }
      if (smooth(next) <= fy + lin + quad / (2 * step) + 1e-12) break;
      step /= 2;
      next = new Float64Array(p);
    }
    const tNext = (1 + Math.sqrt(1 + 4 * tk * tk)) / 2;
    let moved = 0;
    const yNext = new Float64Array(p);
    for (let a = 0; a < p; a++) {
      moved = Math.max(moved, Math.abs(next[a] - x[a]));
      yNext[a] = next[a] + ((tk - 1) / tNext) * (next[a] - x[a]);
    }
    x = next;
    y = yNext;
    tk = tNext;
    if (moved < tolerance) {
      iterations++;
      break;
    }
  }
  const weights = x.slice(0, d * k);
  let nonZero = 0;
  for (let a = 0; a < d * k; a++) if (weights[a] !== 0) nonZero++;
  return {
    numConcepts: d,
    numClasses: k,
    mean,
    scale,
    weights,
    bias: x.slice(d * k),
    lambda,
    l1Ratio: alpha,
    iterations,
    nonZero,
  };
}

/** Class probabilities (n * numClasses, row-major) for concept scores (n * numConcepts). */
export function pcbmProbs(pcbm: Pcbm, scores: Float32Array): Float64Array {
  const d = pcbm.numConcepts;
  const k = pcbm.numClasses;
  const n = scores.length / d;
  if (!Number.isInteger(n)) throw new RangeError(`${scores.length} scores are not rows of ${d} concepts`);
  const out = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      let s = pcbm.bias[c];
      for (let j = 0; j < d; j++)
        s += ((scores[i * d + j] - pcbm.mean[j]) / pcbm.scale[j]) * pcbm.weights[j * k + c];
      out[i * k + c] = s;
    }
  }
  softmaxRows(out, n, k);
  return out;
}

/** Predicted classes for concept scores. */
export function pcbmPredict(pcbm: Pcbm, scores: Float32Array): Int32Array {
  const probs = pcbmProbs(pcbm, scores);
  const k = pcbm.numClasses;
  const n = probs.length / k;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (probs[i * k + c] > probs[i * k + best]) best = c;
    out[i] = best;
  }
  return out;
}

/** Accuracy and fidelity of a PCBM on concept scores, labels and the original model's predictions. */
export function evaluatePcbm(
  pcbm: Pcbm,
  scores: Float32Array,
  labels: ArrayLike<number>,
  modelPredictions: ArrayLike<number>,
): PcbmReport {
  const pred = pcbmPredict(pcbm, scores);
  const n = pred.length;
  if (labels.length !== n || modelPredictions.length !== n) {
    throw new RangeError(
      `${n} samples, ${labels.length} labels, ${modelPredictions.length} model predictions`,
    );
  }
  let acc = 0;
  let modelAcc = 0;
  let agree = 0;
  for (let i = 0; i < n; i++) {
    if (pred[i] === labels[i]) acc++;
    if (modelPredictions[i] === labels[i]) modelAcc++;
    if (pred[i] === modelPredictions[i]) agree++;
  }
  const total = pcbm.weights.length;
  return {
    accuracy: n ? acc / n : 0,
    modelAccuracy: n ? modelAcc / n : 0,
    fidelity: n ? agree / n : 0,
    nonZero: pcbm.nonZero,
    sparsity: total ? 1 - pcbm.nonZero / total : 0,
  };
}

/** The PCBM weight of every (class, concept) pair: numClasses * numConcepts, row-major (class rows). */
export function pcbmClassWeights(pcbm: Pcbm): Float64Array {
  const d = pcbm.numConcepts;
  const k = pcbm.numClasses;
  const out = new Float64Array(k * d);
  for (let j = 0; j < d; j++) for (let c = 0; c < k; c++) out[c * d + j] = pcbm.weights[j * k + c];
  return out;
}
