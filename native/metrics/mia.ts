/**
 * Membership-inference attack (MIA) used to check unlearning, as in SalUn's "MIA-efficacy".
 *
 * A logistic-regression attacker learns to tell the model's training samples (members) from
 * samples it never saw (non-members) using per-sample features of the softmax output:
 *   - confidence       p_y
 *   - entropy          H(p) = -Σ_k p_k log p_k
 *   - loss             -log max(p_y, PROB_FLOOR)
 *   - modified entropy (Song & Mittal, 2021; on by default)
 *                      -(1 - p_y) log p_y - Σ_{k≠y} p_k log(1 - p_k)   (log arguments floored at PROB_FLOOR)
 * Features are standardised with the mean and std of the attack's own training data. The attack is
 * monotone: its weights are constrained to the sign of membership evidence (confidence ≥ 0; entropy,
 * loss and modified entropy ≤ 0). An unconstrained fit on these near-collinear features puts weights
 * of opposite signs on loss and modified entropy, and outside its data (a forgotten sample's loss of
 * 20 where training losses stop at 10) their sum is an extrapolation whose sign flips with the exact
 * magnitudes: a model retrained without a class then had 0% or 100% of that class judged non-members
 * depending on the seed. Constrained, more loss never looks more like a member. The two
 * classes are balanced: the larger side is subsampled with a seeded Rng. The model is fitted by
 * Newton's method (IRLS) with backtracking on the mean log-loss plus a small L2 penalty on the
 * weights (not the bias).
 *
 * Applied to the forget set, the attack's "non-member" verdicts measure how well the forgotten
 * samples now look like data the model never saw (`miaForgetRate`: higher looks better).
 */
import { Rng } from '../engine/random';
import { checkLabels, rowCount } from './accuracy';

/** Probabilities are floored at this value before any logarithm, so that losses stay finite. */
export const PROB_FLOOR = 1e-12;

/** A set of samples as the engine gives them: softmax rows (n × numClasses, row-major) and labels. */
export interface ProbSet {
  probs: ArrayLike<number>;
  labels: ArrayLike<number>;
}

export interface MiaOptions {
  /** Seed of the Rng that subsamples the larger side (default 0). */
  seed?: number;
  /** At most this many samples of each side are used for training (default 5000). */
  maxPerSide?: number;
  /** Include Song & Mittal's modified entropy as a fourth feature (default true). */
  modifiedEntropy?: boolean;
  /** L2 penalty on the weights, added to the mean log-loss as (l2/2)·|w|² (default 1e-3). */
  l2?: number;
}

export interface MiaAttack {
  readonly numClasses: number;
  /** Names of the features, in the order of `mean`, `std` and `weights`. */
  readonly featureNames: readonly string[];
  /** Mean and standard deviation of each feature over the attack's training data. */
  readonly mean: Float64Array;
  readonly std: Float64Array;
  /** Logistic-regression weights on the standardised features, and the bias. */
  readonly weights: Float64Array;
  readonly bias: number;
  /** Number of training samples on each side (members and non-members alike). */
  readonly perSide: number;
  /** Balanced accuracy of the attack on its own (balanced) training data, in [0, 1]. */
  readonly trainAccuracy: number;
  /** Probability, per sample, that it was in the model's training data. */
  memberProbability(probs: ArrayLike<number>, labels: ArrayLike<number>): Float32Array;
  /** 1 where the attack judges the sample a member (probability ≥ 0.5), else 0. */
  predictMember(probs: ArrayLike<number>, labels: ArrayLike<number>): Uint8Array;
}

function checkSet(probs: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number): number {
  const n = rowCount(probs, numClasses);
  if (labels.length !== n) throw new RangeError(`${n} rows of probabilities for ${labels.length} labels`);
  checkLabels(labels, numClasses);
  return n;
}

/** p_y of each sample. */
export function confidences(
  probs: ArrayLike<number>,
  labels: ArrayLike<number>,
  numClasses: number,
): Float64Array {
  const n = checkSet(probs, labels, numClasses);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = probs[i * numClasses + labels[i]];
  return out;
}

/** Shannon entropy (natural log) of each row; terms with p ≤ 0 count as 0. */
export function entropies(probs: ArrayLike<number>, numClasses: number): Float64Array {
  const n = rowCount(probs, numClasses);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let h = 0;
    for (let k = 0; k < numClasses; k++) {
      const p = probs[i * numClasses + k];
      if (p > 0) h -= p * Math.log(p);
    }
    out[i] = h;
  }
  return out;
}

function lossOf(py: number): number {
  // Math.max also turns -0 (for p_y = 1) into 0.
  return Math.max(0, -Math.log(Math.max(py, PROB_FLOOR)));
}

/** Cross-entropy loss of each sample, -log max(p_y, PROB_FLOOR). */
export function losses(
  probs: ArrayLike<number>,
  labels: ArrayLike<number>,
  numClasses: number,
): Float64Array {
  const c = confidences(probs, labels, numClasses);
  for (let i = 0; i < c.length; i++) c[i] = lossOf(c[i]);
  return c;
}

/** Mean cross-entropy loss over the samples; 0 for an empty set. */
export function meanLoss(probs: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number): number {
  const l = losses(probs, labels, numClasses);
  let s = 0;
  for (let i = 0; i < l.length; i++) s += l[i];
  return l.length === 0 ? 0 : s / l.length;
}

function modifiedEntropyOf(probs: ArrayLike<number>, base: number, y: number, numClasses: number): number {
  let m = 0;
  for (let k = 0; k < numClasses; k++) {
    const p = Math.min(Math.max(probs[base + k], 0), 1);
    if (k === y) m -= (1 - p) * Math.log(Math.max(p, PROB_FLOOR));
    else m -= p * Math.log(Math.max(1 - p, PROB_FLOOR));
  }
  return Math.max(0, m);
}

/** Song & Mittal's modified entropy of each sample (0 for a confident correct prediction). */
export function modifiedEntropies(
  probs: ArrayLike<number>,
  labels: ArrayLike<number>,
  numClasses: number,
): Float64Array {
  const n = checkSet(probs, labels, numClasses);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = modifiedEntropyOf(probs, i * numClasses, labels[i], numClasses);
  return out;
}

/** Names of the attack features, in column order. */
export function miaFeatureNames(modifiedEntropy = true): string[] {
  const names = ['confidence', 'entropy', 'loss'];
  if (modifiedEntropy) names.push('modified_entropy');
  return names;
}

/** Raw (unstandardised) attack features, row-major n × miaFeatureNames(modifiedEntropy).length. */
export function miaFeatures(
  probs: ArrayLike<number>,
  labels: ArrayLike<number>,
  numClasses: number,
  modifiedEntropy = true,
): Float64Array {
  const n = checkSet(probs, labels, numClasses);
  const f = modifiedEntropy ? 4 : 3;
  const conf = confidences(probs, labels, numClasses);
  const ent = entropies(probs, numClasses);
  const out = new Float64Array(n * f);
  for (let i = 0; i < n; i++) {
    out[i * f] = conf[i];
    out[i * f + 1] = ent[i];
    out[i * f + 2] = lossOf(conf[i]);
    if (modifiedEntropy) out[i * f + 3] = modifiedEntropyOf(probs, i * numClasses, labels[i], numClasses);
  }
  return out;
}

/** `count` distinct indices of [0, n), drawn with `rng` (all of them, in order, when count ≥ n). */
function subsample(n: number, count: number, rng: Rng): Int32Array {
  const perm = rng.permutation(n);
  if (count >= n) return perm.sort();
  return perm.subarray(0, count).sort();
}

function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** log(1 + e^z) without overflow. */
function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

/** Solves the small dense system a·x = b (a: d × d row-major, overwritten) by Gaussian elimination. */
function solve(a: Float64Array, b: Float64Array, d: number): Float64Array {
  const x = Float64Array.from(b);
  for (let col = 0; col < d; col++) {
    let piv = col;
    for (let r = col + 1; r < d; r++) if (Math.abs(a[r * d + col]) > Math.abs(a[piv * d + col])) piv = r;
    if (piv !== col) {
      for (let c = 0; c < d; c++) {
        const t = a[col * d + c];
        a[col * d + c] = a[piv * d + c];
        a[piv * d + c] = t;
      }
      const t = x[col];
      x[col] = x[piv];
      x[piv] = t;
    }
    const diag = a[col * d + col];
    for (let r = col + 1; r < d; r++) {
      const f = a[r * d + col] / diag;
      if (f === 0) continue;
      for (let c = col; c < d; c++) a[r * d + c] -= f * a[col * d + c];
      x[r] -= f * x[col];
    }
  }
  for (let r = d - 1; r >= 0; r--) {
    let s = x[r];
    for (let c = r + 1; c < d; c++) s -= a[r * d + c] * x[c];
    x[r] = s / a[r * d + r];
  }
  return x;
}

/**
 * Fits logistic regression on standardised features z (n × f, row-major) and targets t ∈ {0,1}.
 * Returns the weights followed by the bias (length f + 1).
 */
function fitLogistic(z: Float64Array, t: Uint8Array, f: number, l2: number): Float64Array {
  const n = t.length;
  const d = f + 1;
  const w = new Float64Array(d);
  const margin = (wv: Float64Array, i: number): number => {
    let s = wv[f];
    for (let j = 0; j < f; j++) s += wv[j] * z[i * f + j];
    return s;
  };
  const objective = (wv: Float64Array): number => {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const m = margin(wv, i);
      s += softplus(m) - t[i] * m;
    }
    let r = 0;
    for (let j = 0; j < f; j++) r += wv[j] * wv[j];
    return s / n + 0.5 * l2 * r;
  };
  let obj = objective(w);
  const row = new Float64Array(d);
  for (let iter = 0; iter < 100; iter++) {
    const grad = new Float64Array(d);
    const hess = new Float64Array(d * d);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < f; j++) row[j] = z[i * f + j];
      row[f] = 1;
      const p = sigmoid(margin(w, i));
      const r = p - t[i];
      const s = p * (1 - p);
      for (let a = 0; a < d; a++) {
        grad[a] += r * row[a];
        for (let b = 0; b <= a; b++) hess[a * d + b] += s * row[a] * row[b];
      }
    }
    for (let a = 0; a < d; a++) {
      grad[a] /= n;
      for (let b = 0; b <= a; b++) {
        hess[a * d + b] /= n;
        hess[b * d + a] = hess[a * d + b];
      }
    }
    for (let j = 0; j < f; j++) {
      grad[j] += l2 * w[j];
      hess[j * d + j] += l2;
    }
    hess[f * d + f] += 1e-10;
    const step = solve(hess, grad, d);
    let decrement = 0;
    for (let a = 0; a < d; a++) decrement += grad[a] * step[a];
    if (!(decrement > 1e-14)) break;
    // Backtracking (Armijo) line search along the Newton direction.
    let lr = 1;
    const trial = new Float64Array(d);
    let trialObj = obj;
    for (let k = 0; k < 40; k++) {
      for (let a = 0; a < d; a++) trial[a] = w[a] - lr * step[a];
      trialObj = objective(trial);
      if (trialObj <= obj - 1e-4 * lr * decrement) break;
      lr /= 2;
    }
    if (!(trialObj < obj)) break;
    w.set(trial);
    obj = trialObj;
  }
  return w;
}

/** The sign of each feature's weight towards "member": confidence up; entropy, loss, modified entropy down. */
const MEMBERSHIP_SIGNS = [1, -1, -1, -1];

function logisticObjective(z: Float64Array, t: Uint8Array, f: number, l2: number, wb: Float64Array): number {
  let s = 0;
  for (let i = 0; i < t.length; i++) {
    let m = wb[f];
    for (let j = 0; j < f; j++) m += wb[j] * z[i * f + j];
    s += softplus(m) - t[i] * m;
  }
  let r = 0;
  for (let j = 0; j < f; j++) r += wb[j] * wb[j];
  return s / t.length + 0.5 * l2 * r;
}

/**
 * Logistic regression with every weight j constrained to sign(weights[j]) = signs[j] or 0, solved exactly
 * for these few features: the constrained optimum is the unconstrained optimum on the subset of features
 * it leaves free, so every subset is fitted and the best one whose weights have the right signs is kept
 * (the empty subset, a bias alone, always qualifies).
 */
function fitMonotoneLogistic(
  z: Float64Array,
  t: Uint8Array,
  f: number,
  l2: number,
  signs: readonly number[],
): Float64Array {
  const n = t.length;
  let best = new Float64Array(f + 1);
  let bestObj = Number.POSITIVE_INFINITY;
  for (let subset = 0; subset < 1 << f; subset++) {
    const cols: number[] = [];
    for (let j = 0; j < f; j++) if (subset & (1 << j)) cols.push(j);
    const sub = new Float64Array(n * cols.length);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < cols.length; c++) sub[i * cols.length + c] = z[i * f + cols[c]];
    }
    const w = fitLogistic(sub, t, cols.length, l2);
    if (cols.some((j, c) => w[c] * signs[j] < 0)) continue;
    const full = new Float64Array(f + 1);
    for (let c = 0; c < cols.length; c++) full[cols[c]] = w[c];
    full[f] = w[cols.length];
    const obj = logisticObjective(z, t, f, l2, full);
    if (obj < bestObj) {
      bestObj = obj;
      best = full;
    }
  }
  return best;
}

/**
 * Trains the attack on the model's outputs for samples it was trained on (`members`) and samples
 * it never saw (`nonMembers`). Both sides are cut to the same size, min(nMembers, nNonMembers,
 * maxPerSide), by a seeded subsample, so the attack's chance level is 0.5.
 */
export function trainMiaAttack(
  members: ProbSet,
  nonMembers: ProbSet,
  numClasses: number,
  opts: MiaOptions = {},
): MiaAttack {
  const useMentr = opts.modifiedEntropy ?? true;
  const maxPerSide = opts.maxPerSide ?? 5000;
  const l2 = opts.l2 ?? 1e-3;
  if (!Number.isInteger(maxPerSide) || maxPerSide < 1) {
    throw new RangeError(`maxPerSide must be a positive integer, got ${maxPerSide}`);
  }
  if (!(l2 >= 0)) throw new RangeError(`l2 must be ≥ 0, got ${l2}`);
  const nMem = checkSet(members.probs, members.labels, numClasses);
  const nNon = checkSet(nonMembers.probs, nonMembers.labels, numClasses);
  if (nMem === 0 || nNon === 0) {
    throw new RangeError(`the attack needs members and non-members (got ${nMem} and ${nNon})`);
  }
  const perSide = Math.min(nMem, nNon, maxPerSide);
  const rng = new Rng(opts.seed ?? 0);
  const memIdx = subsample(nMem, perSide, rng);
  const nonIdx = subsample(nNon, perSide, rng);

  const featureNames = miaFeatureNames(useMentr);
  const f = featureNames.length;
  const memFeat = miaFeatures(members.probs, members.labels, numClasses, useMentr);
  const nonFeat = miaFeatures(nonMembers.probs, nonMembers.labels, numClasses, useMentr);
  const n = 2 * perSide;
  const z = new Float64Array(n * f);
  const t = new Uint8Array(n);
  for (let i = 0; i < perSide; i++) {
    for (let j = 0; j < f; j++) {
      z[i * f + j] = memFeat[memIdx[i] * f + j];
      z[(perSide + i) * f + j] = nonFeat[nonIdx[i] * f + j];
    }
    t[i] = 1;
  }

  const mean = new Float64Array(f);
  const std = new Float64Array(f);
  for (let j = 0; j < f; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += z[i * f + j];
    const mu = s / n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (z[i * f + j] - mu) ** 2;
    const sd = Math.sqrt(v / n);
    mean[j] = mu;
    std[j] = sd > 1e-12 ? sd : 1; // a constant feature carries no information
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) z[i * f + j] = (z[i * f + j] - mean[j]) / std[j];

  const wb = fitMonotoneLogistic(z, t, f, l2, MEMBERSHIP_SIGNS.slice(0, f));
  const weights = wb.slice(0, f);
  const bias = wb[f];

  const probabilityOfRows = (feat: Float64Array, rows: number): Float32Array => {
    const out = new Float32Array(rows);
    for (let i = 0; i < rows; i++) {
      let s = bias;
      for (let j = 0; j < f; j++) s += weights[j] * ((feat[i * f + j] - mean[j]) / std[j]);
      out[i] = sigmoid(s);
    }
    return out;
  };

  let tp = 0;
  let tn = 0;
  for (let i = 0; i < n; i++) {
    let s = bias;
    for (let j = 0; j < f; j++) s += weights[j] * z[i * f + j];
    const member = sigmoid(s) >= 0.5;
    if (t[i] === 1 && member) tp++;
    if (t[i] === 0 && !member) tn++;
  }
  const trainAccuracy = (tp / perSide + tn / perSide) / 2;

  const memberProbability = (probs: ArrayLike<number>, labels: ArrayLike<number>): Float32Array => {
    const feat = miaFeatures(probs, labels, numClasses, useMentr);
    return probabilityOfRows(feat, labels.length);
  };
  const predictMember = (probs: ArrayLike<number>, labels: ArrayLike<number>): Uint8Array => {
    const p = memberProbability(probs, labels);
    const out = new Uint8Array(p.length);
    for (let i = 0; i < p.length; i++) out[i] = p[i] >= 0.5 ? 1 : 0;
    return out;
  };

  return {
    numClasses,
    featureNames,
    mean,
    std,
    weights,
    bias,
    perSide,
    trainAccuracy,
    memberProbability,
    predictMember,
  };
}

/**
 * Fraction of the forget samples that the attack judges NON-members, in [0, 1] (0 for an empty set).
 * The higher, the better the forgetting looks; a model retrained without a class is usually near 1
 * on that class.
 */
export function miaForgetRate(
  attack: MiaAttack,
  forgetProbs: ArrayLike<number>,
  forgetLabels: ArrayLike<number>,
): number {
  const member = attack.predictMember(forgetProbs, forgetLabels);
  if (member.length === 0) return 0;
  let non = 0;
  for (let i = 0; i < member.length; i++) if (member[i] === 0) non++;
  return non / member.length;
}

/**
 * ROC AUC of scores meant to be higher for members: the probability that a random member scores
 * above a random non-member, ties counting 1/2 (Mann-Whitney U with average ranks).
 * 0.5 (chance) when either side is empty.
 */
export function miaAuc(memberScores: ArrayLike<number>, nonMemberScores: ArrayLike<number>): number {
  const nm = memberScores.length;
  const nn = nonMemberScores.length;
  if (nm === 0 || nn === 0) return 0.5;
  const n = nm + nn;
  const score = new Float64Array(n);
  for (let i = 0; i < nm; i++) score[i] = memberScores[i];
  for (let i = 0; i < nn; i++) score[nm + i] = nonMemberScores[i];
  for (let i = 0; i < n; i++) if (Number.isNaN(score[i])) throw new RangeError('miaAuc: a score is NaN');
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) =>
    score[a] < score[b] ? -1 : score[a] > score[b] ? 1 : 0,
  );
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && score[order[j + 1]] === score[order[i]]) j++;
    const avgRank = (i + j) / 2 + 1; // ranks are 1-based
    for (let k = i; k <= j; k++) if (order[k] < nm) rankSum += avgRank;
    i = j + 1;
  }
  return (rankSum - (nm * (nm + 1)) / 2) / (nm * nn);
}
