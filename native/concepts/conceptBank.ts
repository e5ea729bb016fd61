/**
 * A concept bank: named directions (CAVs) in a model's embedding space, in one format whatever their source
 * (example folders, NMF discovery, the ground truth of a synthetic dataset). A concept whose CAV's held-out
 * accuracy is near chance is dropped (kept in `dropped`, with its accuracy). The concept score of an image is
 * the signed distance of its embedding to the concept's hyperplane, (w . e + b) / |w|.
 */
import type { ImageSplit } from '../data/types';
import { Rng } from '../engine/random';
import { UserError } from '../errors';
import type { Classifier } from '../models/classifier';
import { type Cav, type CavOptions, trainCav } from './cav';
import { embeddingModel } from './embeddingModel';

export type ConceptSource = 'examples' | 'nmf' | 'ground-truth';

export interface Concept {
  name: string;
  source: ConceptSource;
  cav: Cav;
}

export interface DroppedConcept {
  name: string;
  source: ConceptSource;
  heldoutAccuracy: number;
}

export interface ConceptBank {
  /** The embedding layer the directions live in. */
  embeddingLayer: string;
  dim: number;
  concepts: Concept[];
  /** Concepts whose CAV was no better than `minAccuracy` on held-out examples. */
  dropped: DroppedConcept[];
  /** The accuracy threshold used. */
  minAccuracy: number;
}

/** Default held-out accuracy below which a concept is dropped. */
export const DEFAULT_MIN_CAV_ACCURACY = 0.6;

export interface ConceptExampleSet {
  name: string;
  positives: ImageSplit;
  /** This concept's own negatives (else drawn as `negatives` says). */
  negatives?: ImageSplit;
  /** Default 'examples'. */
  source?: ConceptSource;
}

export interface ConceptBankOptions {
  /** Default: the classifier's embedding layer. */
  embeddingLayer?: string;
  /**
   * Negatives of sets that bring none: 'random' (images of `randomImages`, e.g. dataset images; the default)
   * or 'others' (the other concepts' positive examples).
   */
  negatives?: 'random' | 'others';
  randomImages?: ImageSplit;
  /** Drop concepts whose CAV's held-out accuracy is below this (default 0.6). */
  minAccuracy?: number;
  cav?: CavOptions;
}

/** Embeddings of one concept's examples. */
export interface ConceptEmbeddings {
  name: string;
  source?: ConceptSource;
  positives: Float32Array;
  negatives: Float32Array;
}

/** Builds a bank from embeddings that are already computed (rows of width `dim`). */
export function conceptBankFromEmbeddings(
  sets: readonly ConceptEmbeddings[],
  dim: number,
  embeddingLayer: string,
  opts: Pick<ConceptBankOptions, 'minAccuracy' | 'cav'> = {},
): ConceptBank {
  const minAccuracy = opts.minAccuracy ?? DEFAULT_MIN_CAV_ACCURACY;
  const names = new Set<string>();
  const bank: ConceptBank = { embeddingLayer, dim, concepts: [], dropped: [], minAccuracy };
  sets.forEach((s, i) => {
    if (names.has(s.name)) throw new UserError(`concept '${s.name}' is defined twice`);
    names.add(s.name);
    const nPos = s.positives.length / dim;
    const nNeg = s.negatives.length / dim;
    if (nPos < 2)
      throw new UserError(`concept '${s.name}' has ${nPos} example image(s): at least 2 are needed`);
    if (nNeg < 2)
      throw new UserError(`concept '${s.name}' has ${nNeg} negative image(s): at least 2 are needed`);
    const cav = trainCav(s.positives, s.negatives, dim, { ...opts.cav, seed: (opts.cav?.seed ?? 0) + i });
    const source = s.source ?? 'examples';
    if (cav.heldoutAccuracy < minAccuracy) {
      bank.dropped.push({ name: s.name, source, heldoutAccuracy: cav.heldoutAccuracy });
    } else {
      bank.concepts.push({ name: s.name, source, cav });
    }
  });
  return bank;
}

/** Concatenated embedding rows. */
function concatRows(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Builds a bank from example images: embeds every set (and the negatives) through `classifier`, trains one
 * CAV per concept, and drops those near chance. Throws a UserError for an empty or one-image set, a missing
 * embedding layer, or random negatives requested without images.
 */
export function buildConceptBank(
  classifier: Classifier,
  sets: readonly ConceptExampleSet[],
  opts: ConceptBankOptions = {},
): ConceptBank {
  if (sets.length === 0) throw new UserError('no concepts given');
  for (const s of sets) {
    if (s.positives.size === 0) throw new UserError(`concept '${s.name}' has no example images`);
    if (s.positives.size < 2)
      throw new UserError(`concept '${s.name}' has only 1 example image: at least 2 are needed`);
  }
  const em = embeddingModel(classifier, opts.embeddingLayer);
  const mode = opts.negatives ?? 'random';
  const needRandom = mode === 'random' && sets.some((s) => !s.negatives);
  if (needRandom && (!opts.randomImages || opts.randomImages.size < 2)) {
    throw new UserError('random negatives need at least 2 random images (pass randomImages)');
  }
  if (mode === 'others' && sets.length < 2 && !sets[0].negatives) {
    throw new UserError(`concept '${sets[0].name}' has no negatives: 'others' needs at least 2 concepts`);
  }
  const positives = sets.map((s) => em.embedSplit(s.positives));
  const random = needRandom ? em.embedSplit(opts.randomImages!) : undefined;
  const embedded: ConceptEmbeddings[] = sets.map((s, i) => {
    let negatives: Float32Array;
    if (s.negatives) negatives = em.embedSplit(s.negatives);
    else if (mode === 'others') negatives = concatRows(positives.filter((_, j) => j !== i));
    else negatives = random!;
    return { name: s.name, source: s.source, positives: positives[i], negatives };
  });
  return conceptBankFromEmbeddings(embedded, em.dim, em.layer, opts);
}

/** Concept scores of embedding rows: n * numConcepts, row-major. */
export function conceptScores(bank: ConceptBank, embeddings: Float32Array): Float32Array {
  const d = bank.dim;
  const n = embeddings.length / d;
  if (!Number.isInteger(n))
    throw new RangeError(`embeddings of ${embeddings.length} values are not rows of ${d}`);
  const k = bank.concepts.length;
  const out = new Float32Array(n * k);
  bank.concepts.forEach(({ cav }, c) => {
    const w = cav.weights;
    for (let i = 0; i < n; i++) {
      let s = cav.bias;
      for (let j = 0; j < d; j++) s += w[j] * embeddings[i * d + j];
      out[i * k + c] = s / cav.norm;
    }
  });
  return out;
}

/** Concept scores of every image of a split: n * numConcepts, row-major. */
export function scoreImages(classifier: Classifier, bank: ConceptBank, split: ImageSplit): Float32Array {
  const em = embeddingModel(classifier, bank.embeddingLayer);
  if (em.dim !== bank.dim) {
    throw new UserError(`the bank's embedding has ${bank.dim} values but layer '${em.layer}' has ${em.dim}`);
  }
  return conceptScores(bank, em.embedSplit(split));
}

/** The unit direction of each concept (numConcepts * dim, row-major). */
export function conceptDirections(bank: ConceptBank): Float32Array {
  const d = bank.dim;
  const out = new Float32Array(bank.concepts.length * d);
  bank.concepts.forEach(({ cav }, c) => {
    for (let j = 0; j < d; j++) out[c * d + j] = cav.weights[j] / cav.norm;
  });
  return out;
}

/** Draws `count` distinct samples of a split (all of them when it has no more), seeded. */
export function sampleImages(split: ImageSplit, count: number, seed: number): Int32Array {
  const perm = new Rng(seed).permutation(split.size);
  return perm.slice(0, Math.min(count, split.size));
}

interface ConceptJson {
  name: string;
  source: ConceptSource;
  weights: number[];
  bias: number;
  heldoutAccuracy: number;
  trainAccuracy: number;
  lambda: number;
  numPositives: number;
  numNegatives: number;
}

/** A JSON-serialisable copy of the bank. */
export function conceptBankToJson(bank: ConceptBank): object {
  return {
    format: 'unlearn-studio/concept-bank',
    version: 1,
    embeddingLayer: bank.embeddingLayer,
    dim: bank.dim,
    minAccuracy: bank.minAccuracy,
    dropped: bank.dropped,
    concepts: bank.concepts.map(
      (c): ConceptJson => ({
        name: c.name,
        source: c.source,
        weights: Array.from(c.cav.weights),
        bias: c.cav.bias,
        heldoutAccuracy: c.cav.heldoutAccuracy,
        trainAccuracy: c.cav.trainAccuracy,
        lambda: c.cav.lambda,
        numPositives: c.cav.numPositives,
        numNegatives: c.cav.numNegatives,
      }),
    ),
  };
}

/** Reads a bank written by conceptBankToJson; throws a UserError when it is not one. */
export function conceptBankFromJson(json: unknown): ConceptBank {
  const j = json as {
    format?: unknown;
    embeddingLayer?: unknown;
    dim?: unknown;
    minAccuracy?: unknown;
    dropped?: unknown;
    concepts?: unknown;
  };
  if (j == null || j.format !== 'unlearn-studio/concept-bank') throw new UserError('not a concept bank file');
  const dim = j.dim;
  if (typeof j.embeddingLayer !== 'string' || typeof dim !== 'number' || !Array.isArray(j.concepts)) {
    throw new UserError('corrupt concept bank: missing embedding layer, dim or concepts');
  }
  const concepts = (j.concepts as ConceptJson[]).map((c): Concept => {
    if (typeof c?.name !== 'string' || !Array.isArray(c.weights) || c.weights.length !== dim) {
      throw new UserError(`corrupt concept bank: concept '${String(c?.name)}' has no ${dim}-value direction`);
    }
    const weights = Float32Array.from(c.weights);
    const norm = Math.hypot(...weights) || 1;
    return {
      name: c.name,
      source: c.source,
      cav: {
        weights,
        bias: c.bias,
        norm,
        heldoutAccuracy: c.heldoutAccuracy,
        trainAccuracy: c.trainAccuracy,
        lambda: c.lambda,
        numPositives: c.numPositives,
        numNegatives: c.numNegatives,
      },
    };
  });
  return {
    embeddingLayer: j.embeddingLayer,
    dim,
    concepts,
    dropped: Array.isArray(j.dropped) ? (j.dropped as DroppedConcept[]) : [],
    minAccuracy: typeof j.minAccuracy === 'number' ? j.minAccuracy : DEFAULT_MIN_CAV_ACCURACY,
  };
}
