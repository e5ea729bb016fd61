/**
 * Concept activation vectors (Kim et al., 2018): a linear classifier separating the embeddings of a concept's
 * positive examples from negatives. Here an L2-regularised logistic regression (Newton's method on
 * standardised features), its regularisation chosen among a small grid by held-out accuracy. The CAV is the
 * hyperplane (w, b) in raw embedding space; an embedding's concept score is its signed distance to it,
 * (w . e + b) / |w|.
 */
import { Rng } from '../engine/random';
import { UserError } from '../errors';
import { choleskySolve } from './linalg';

export interface CavOptions {
  /** L2 strengths tried (on standardised features); default [1e-4, 1e-3, 1e-2, 1e-1, 1]. */
  lambdas?: number[];
  /** Share of each side held out to choose the strength and to report accuracy (default 0.3). */
  heldoutFraction?: number;
  /** Subsample the larger side so both sides have the same count (default true: chance is 0.5). */
  balance?: boolean;
  /** Seed of the held-out split and of the balancing (default 0). */
  seed?: number;
}

export const DEFAULT_CAV_LAMBDAS = [1e-4, 1e-3, 1e-2, 1e-1, 1];

export interface Cav {
  /** Normal of the hyperplane in raw embedding space (length dim). */
  weights: Float32Array;
  bias: number;
  /** |weights|. */
  norm: number;
  /** Accuracy on the held-out examples (balanced sides unless `balance` is false). */
  heldoutAccuracy: number;
  trainAccuracy: number;
  /** The chosen L2 strength. */
  lambda: number;
  /** Examples used (after balancing), training and held-out together. */
  numPositives: number;
  numNegatives: number;
}

/** The signed distance of embedding row `row` of `data` (width dim) to the CAV's hyperplane. */
export function cavScore(cav: Cav, data: ArrayLike<number>, row = 0): number {
  const d = cav.weights.length;
  let s = cav.bias;
  for (let j = 0; j < d; j++) s += cav.weights[j] * data[row * d + j];
  return s / cav.norm;
}

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

/**
 * Binary logistic regression with an L2 penalty on the weights (not the bias), by damped Newton steps:
 * minimises (1/n) sum log(1 + exp(-s_i (w . x_i + b))) + (lambda / 2) |w|^2, s_i = +-1.
 * `x` is n * d row-major; `y` holds 0/1. Returns [w..., b] (length d + 1).
 */
export function logisticRegression(
  x: Float64Array,
  y: Uint8Array,
  n: number,
  d: number,
  lambda: number,
  maxIterations = 50,
): Float64Array {
  const p = d + 1;
  let theta = new Float64Array(p);
  const margin = (th: Float64Array, i: number) => {
    let z = th[d];
    for (let j = 0; j < d; j++) z += th[j] * x[i * d + j];
    return z;
  };
  const loss = (th: Float64Array) => {
    let l = 0;
    for (let i = 0; i < n; i++) {
      const z = margin(th, i);
      l += softplus(y[i] ? -z : z);
    }
    let r = 0;
    for (let j = 0; j < d; j++) r += th[j] * th[j];
    return l / n + 0.5 * lambda * r;
  };
  let current = loss(theta);
  for (let iter = 0; iter < maxIterations; iter++) {
    const grad = new Float64Array(p);
    const hess = new Float64Array(p * p);
    const row = new Float64Array(p);
    for (let i = 0; i < n; i++) {
      const q = sigmoid(margin(theta, i));
      const r = q - y[i];
      const w = q * (1 - q);
      for (let j = 0; j < d; j++) row[j] = x[i * d + j];
      row[d] = 1;
      for (let a = 0; a < p; a++) {
        grad[a] += r * row[a];
        const wa = w * row[a];
        if (wa === 0) continue;
        for (let b = 0; b <= a; b++) hess[a * p + b] += wa * row[b];
      }
    }
    for (let a = 0; a < p; a++) {
      grad[a] /= n;
      for (let b = 0; b <= a; b++) {
        hess[a * p + b] /= n;
        hess[b * p + a] = hess[a * p + b];
      }
    }
    for (let j = 0; j < d; j++) {
      grad[j] += lambda * theta[j];
      hess[j * p + j] += lambda;
    }
    hess[d * p + d] += 1e-10;
    let gnorm = 0;
    for (let a = 0; a < p; a++) gnorm = Math.max(gnorm, Math.abs(grad[a]));
    if (gnorm < 1e-8) break;
    const step = choleskySolve(hess, grad, p);
    let t = 1;
    let next = theta;
    let nextLoss = current;
    for (let k = 0; k < 30; k++) {
      const cand = new Float64Array(p);
      for (let a = 0; a < p; a++) cand[a] = theta[a] - t * step[a];
      const l = loss(cand);
      if (l <= current) {
        next = cand;
        nextLoss = l;
        break;
      }
      t /= 2;
    }
    const improvement = current - nextLoss;
    theta = next;
    current = nextLoss;
    if (improvement <= 1e-12 * Math.max(1, Math.abs(current))) break;
  }
  return theta;
}

function accuracyOf(theta: Float64Array, x: Float64Array, y: Uint8Array, n: number, d: number): number {
  if (n === 0) return 0;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let z = theta[d];
    for (let j = 0; j < d; j++) z += theta[j] * x[i * d + j];
    if (z > 0 === (y[i] === 1)) correct++;
  }
  return correct / n;
}

/**
 * Trains a CAV from the embeddings of positive and negative examples (row-major, `dim` wide). Throws a
 * UserError when either side has fewer than 2 examples.
 */
export function trainCav(
  positives: Float32Array,
  negatives: Float32Array,
  dim: number,
  opts: CavOptions = {},
): Cav {
  const lambdas = opts.lambdas ?? DEFAULT_CAV_LAMBDAS;
  const heldoutFraction = opts.heldoutFraction ?? 0.3;
  if (!(heldoutFraction > 0 && heldoutFraction < 1)) {
    throw new UserError(`CAV held-out fraction must be between 0 and 1, got ${heldoutFraction}`);
  }
  if (lambdas.length === 0 || lambdas.some((l) => !(l > 0))) {
    throw new UserError(`CAV regularisation strengths must be positive, got [${lambdas.join(', ')}]`);
  }
  let nPos = positives.length / dim;
  let nNeg = negatives.length / dim;
  if (nPos < 2 || nNeg < 2) {
    throw new UserError(`a CAV needs at least 2 positive and 2 negative examples, got ${nPos} and ${nNeg}`);
  }
  const rng = new Rng((opts.seed ?? 0) + 911);
  let posIdx = Array.from(rng.permutation(nPos));
  let negIdx = Array.from(rng.permutation(nNeg));
  if (opts.balance ?? true) {
    const m = Math.min(nPos, nNeg);
    posIdx = posIdx.slice(0, m);
    negIdx = negIdx.slice(0, m);
    nPos = m;
    nNeg = m;
  }
  const hPos = Math.min(nPos - 1, Math.max(1, Math.round(nPos * heldoutFraction)));
  const hNeg = Math.min(nNeg - 1, Math.max(1, Math.round(nNeg * heldoutFraction)));
  const rows = (src: Float32Array, idx: number[], label: number) => idx.map((i) => ({ src, i, label }));
  const train = [...rows(positives, posIdx.slice(hPos), 1), ...rows(negatives, negIdx.slice(hNeg), 0)];
  const held = [...rows(positives, posIdx.slice(0, hPos), 1), ...rows(negatives, negIdx.slice(0, hNeg), 0)];

  // Standardise with the training rows' statistics (constant features keep scale 1).
  const mean = new Float64Array(dim);
  const scale = new Float64Array(dim);
  for (const r of train) for (let j = 0; j < dim; j++) mean[j] += r.src[r.i * dim + j];
  for (let j = 0; j < dim; j++) mean[j] /= train.length;
  for (const r of train) {
    for (let j = 0; j < dim; j++) {
      const v = r.src[r.i * dim + j] - mean[j];
      scale[j] += v * v;
    }
  }
  for (let j = 0; j < dim; j++) {
    const sd = Math.sqrt(scale[j] / train.length);
    scale[j] = sd > 1e-8 ? sd : 1;
  }
  const pack = (list: typeof train) => {
    const x = new Float64Array(list.length * dim);
    const y = new Uint8Array(list.length);
    list.forEach((r, k) => {
      for (let j = 0; j < dim; j++) x[k * dim + j] = (r.src[r.i * dim + j] - mean[j]) / scale[j];
      y[k] = r.label;
    });
    return { x, y, n: list.length };
  };
  const tr = pack(train);
  const ho = pack(held);

  let best: { theta: Float64Array; acc: number; lambda: number } | undefined;
  // Strongest regularisation first, so that ties keep the simpler model.
  for (const lambda of [...lambdas].sort((a, b) => b - a)) {
    const theta = logisticRegression(tr.x, tr.y, tr.n, dim, lambda);
    const acc = accuracyOf(theta, ho.x, ho.y, ho.n, dim);
    if (!best || acc > best.acc) best = { theta, acc, lambda };
  }
  const chosen = best!;
  // Back to raw embedding space: w_raw = w / scale, b_raw = b - sum w_raw * mean.
  const weights = new Float32Array(dim);
  let bias = chosen.theta[dim];
  let norm2 = 0;
  for (let j = 0; j < dim; j++) {
    const w = chosen.theta[j] / scale[j];
    weights[j] = w;
    bias -= w * mean[j];
    norm2 += w * w;
  }
  const norm = Math.sqrt(norm2);
  return {
    weights,
    bias,
    norm: norm > 0 ? norm : 1,
    heldoutAccuracy: chosen.acc,
    trainAccuracy: accuracyOf(chosen.theta, tr.x, tr.y, tr.n, dim),
    lambda: chosen.lambda,
    numPositives: nPos,
    numNegatives: nNeg,
  };
}
