/**
 * Which concepts to remove with a forget class, and which retained class should inherit its samples.
 *
 * - importance(f, k): the forget class's reliance on concept k (conceptImportance.ts);
 * - specificity(f, k) = importance(f, k) - max over retained classes r of importance(r, k);
 * - a concept is shared when the forget class relies on it (importance above the noise floor below) and
 *   some retained class relies on it at least `sharedRatio` (default 0.5) as much: removing it would hurt
 *   that class;
 * - the selection: the top-k (default 5) concepts by specificity among those that are not shared and whose
 *   specificity is at least `minShare` (default 0.05) of the forget class's total positive importance
 *   (a noise floor: a concept carrying a negligible share of the class's evidence is not class-specific)
 *   and, optionally, at least `minRelative` (default 0: off) of the specificity of the most specific
 *   such concept
 *   (a relative floor: a concept far weaker than the class's main specific concept is more likely a
 *   correlated direction of the concept bank than a concept of the class; fewer than k may pass);
 * - the donor class: the retained class whose concept profile is most similar to the forget class's
 *   (cosine). The profile is the class's importance row by default, or any per-class concept vector given
 *   as `profiles` (e.g. the class's mean standardised concept scores, classScoreProfiles: what its images
 *   show rather than what its logit uses). Candidates within `tieTolerance` of the best are tie-broken by
 *   how often the model confuses them with the forget class (confusion[f][r] + confusion[r][f]).
 */
import { UserError } from '../errors';
import type { ConceptImportance } from './conceptImportance';

export interface ConceptSelectionOptions {
  /** How many class-specific concepts to select (default 5). */
  k?: number;
  /** Default 0.5. */
  sharedRatio?: number;
  /** Least specificity, as a share of the forget class's total positive importance (default 0.05). */
  minShare?: number;
  /** Least specificity, as a share of the most specific concept's specificity (default 0: off). */
  minRelative?: number;
  /** numClasses * numClasses counts or rates, row = true class, column = predicted (optional). */
  confusion?: ArrayLike<number>;
  /** Cosine similarities within this of the best count as a tie (default 0.02). */
  tieTolerance?: number;
  /** Per-class concept profiles for the donor, numClasses * numConcepts (default: the importance rows). */
  profiles?: ArrayLike<number>;
}

export interface ConceptRank {
  concept: string;
  importance: number;
  specificity: number;
  /** The retained class relying most on the concept, and its importance. */
  maxOtherClass: number;
  maxOtherImportance: number;
  shared: boolean;
}

export interface DonorChoice {
  /** The chosen retained class (-1 when there is none). */
  class: number;
  similarity: number;
  /** Cosine similarity of every class's profile to the forget class's (NaN for the forget class itself). */
  similarities: number[];
  /** Whether the choice among near-ties was made by confusion. */
  tieBrokenByConfusion: boolean;
}

export interface ConceptSelection {
  forgetClass: number;
  /** Every concept, by decreasing importance to the forget class. */
  byImportance: ConceptRank[];
  /** Every concept, by decreasing specificity. */
  bySpecificity: ConceptRank[];
  /** The concepts flagged shared. */
  shared: string[];
  /** The selected class-specific concepts (at most k), most specific first. */
  selected: string[];
  donor: DonorChoice;
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}

/** Ranks the concepts for forgetting `forgetClass` and picks the donor class (see the module comment). */
export function selectConcepts(
  imp: ConceptImportance,
  forgetClass: number,
  opts: ConceptSelectionOptions = {},
): ConceptSelection {
  const numClasses = imp.numClasses;
  const kc = imp.concepts.length;
  if (!Number.isInteger(forgetClass) || forgetClass < 0 || forgetClass >= numClasses) {
    throw new UserError(`forget class ${forgetClass} is not a class of the model (0..${numClasses - 1})`);
  }
  if (numClasses < 2) throw new UserError('concept selection needs at least 2 classes');
  const k = opts.k ?? 5;
  if (!Number.isInteger(k) || k < 1) throw new UserError(`k must be a whole number of at least 1, got ${k}`);
  const sharedRatio = opts.sharedRatio ?? 0.5;
  const minShare = opts.minShare ?? 0.05;
  const minRelative = opts.minRelative ?? 0;
  if (!(minRelative >= 0 && minRelative <= 1)) {
    throw new UserError(`minRelative must be between 0 and 1, got ${minRelative}`);
  }
  const tieTolerance = opts.tieTolerance ?? 0.02;
  const profiles = opts.profiles ?? imp.importance;
  if (profiles.length !== numClasses * kc) {
    throw new RangeError(
      `profiles have ${profiles.length} values for ${numClasses} classes x ${kc} concepts`,
    );
  }
  const row = (c: number) => Array.from({ length: kc }, (_, j) => profiles[c * kc + j]);
  const totalPositive = imp.concepts.reduce(
    (sum, _, j) => sum + Math.max(0, imp.importance[forgetClass * kc + j]),
    0,
  );
  const floor = minShare * totalPositive;
  const retained = Array.from({ length: numClasses }, (_, c) => c).filter(
    (c) => c !== forgetClass && imp.counts[c] > 0,
  );

  const ranks: ConceptRank[] = imp.concepts.map((concept, j) => {
    const importance = imp.importance[forgetClass * kc + j];
    let maxOtherClass = -1;
    let maxOtherImportance = Number.NEGATIVE_INFINITY;
    for (const r of retained) {
      const v = imp.importance[r * kc + j];
      if (v > maxOtherImportance) {
        maxOtherImportance = v;
        maxOtherClass = r;
      }
    }
    if (maxOtherClass < 0) maxOtherImportance = 0;
    return {
      concept,
      importance,
      specificity: importance - maxOtherImportance,
      maxOtherClass,
      maxOtherImportance,
      shared: importance > 0 && importance >= floor && maxOtherImportance >= sharedRatio * importance,
    };
  });
  const byImportance = [...ranks].sort((a, b) => b.importance - a.importance);
  const bySpecificity = [...ranks].sort((a, b) => b.specificity - a.specificity);
  const candidates = bySpecificity.filter(
    (r) => r.importance > 0 && r.specificity > 0 && r.specificity >= floor && !r.shared,
  );
  const relativeFloor = minRelative * (candidates[0]?.specificity ?? 0);
  const selected = candidates
    .filter((r) => r.specificity >= relativeFloor)
    .slice(0, k)
    .map((r) => r.concept);

  // Donor: the most similar retained profile, near-ties broken by confusion.
  const forgetRow = row(forgetClass);
  const similarities = Array.from({ length: numClasses }, (_, c) =>
    c === forgetClass ? Number.NaN : imp.counts[c] > 0 ? cosine(forgetRow, row(c)) : Number.NEGATIVE_INFINITY,
  );
  let donor: DonorChoice = { class: -1, similarity: Number.NaN, similarities, tieBrokenByConfusion: false };
  if (retained.length > 0) {
    const best = Math.max(...retained.map((c) => similarities[c]));
    const tied = retained.filter((c) => similarities[c] >= best - tieTolerance);
    let choice = tied.reduce((a, b) => (similarities[b] > similarities[a] ? b : a));
    let byConfusion = false;
    const conf = opts.confusion;
    if (tied.length > 1 && conf) {
      if (conf.length !== numClasses * numClasses) {
        throw new RangeError(`confusion has ${conf.length} values for ${numClasses} classes`);
      }
      const mix = (c: number) => conf[forgetClass * numClasses + c] + conf[c * numClasses + forgetClass];
      const top = tied.reduce((a, b) => (mix(b) > mix(a) ? b : a));
      if (mix(top) > mix(choice)) {
        choice = top;
        byConfusion = true;
      }
    }
    donor = {
      class: choice,
      similarity: similarities[choice],
      similarities,
      tieBrokenByConfusion: byConfusion,
    };
  }
  return {
    forgetClass,
    byImportance,
    bySpecificity,
    shared: ranks.filter((r) => r.shared).map((r) => r.concept),
    selected,
    donor,
  };
}

/**
 * Each class's mean concept scores, standardised per concept over all samples: numClasses * numConcepts.
 * `scores` is n * numConcepts (conceptScores / scoreImages); classes without samples get zeros.
 */
export function classScoreProfiles(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  numClasses: number,
  numConcepts: number,
): Float64Array {
  const n = labels.length;
  if (scores.length !== n * numConcepts) throw new RangeError(`${scores.length} scores for ${n} samples`);
  const mean = new Float64Array(numConcepts);
  const sd = new Float64Array(numConcepts);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < numConcepts; j++) mean[j] += scores[i * numConcepts + j] / n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < numConcepts; j++) sd[j] += (scores[i * numConcepts + j] - mean[j]) ** 2 / n;
  }
  const out = new Float64Array(numClasses * numConcepts);
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < n; i++) {
    const c = labels[i];
    counts[c]++;
    for (let j = 0; j < numConcepts; j++) {
      out[c * numConcepts + j] += (scores[i * numConcepts + j] - mean[j]) / (Math.sqrt(sd[j]) || 1);
    }
  }
  for (let c = 0; c < numClasses; c++) {
    for (let j = 0; j < numConcepts; j++) out[c * numConcepts + j] /= Math.max(1, counts[c]);
  }
  return out;
}

/** Share of `selected` that is in `truth` (0 when nothing is selected). */
export function precisionAtK(selected: readonly string[], truth: readonly string[]): number {
  if (selected.length === 0) return 0;
  const t = new Set(truth);
  return selected.filter((c) => t.has(c)).length / selected.length;
}

/** Confusion counts from labels and predictions: numClasses * numClasses, row = true class. */
export function confusionCounts(
  labels: ArrayLike<number>,
  predictions: ArrayLike<number>,
  numClasses: number,
): Float64Array {
  if (labels.length !== predictions.length)
    throw new RangeError(`${labels.length} labels, ${predictions.length} predictions`);
  const out = new Float64Array(numClasses * numClasses);
  for (let i = 0; i < labels.length; i++) out[labels[i] * numClasses + predictions[i]]++;
  return out;
}
