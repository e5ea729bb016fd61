/**
 * How much each class relies on each concept, and where in an image a concept's evidence lies.
 *
 * Class-to-concept importance: Integrated Gradients of the original model's class logit F_c with respect to
 * the embedding e, from a baseline e' (the mean embedding, or zero), expressed along each concept's unit
 * direction u_k (the CAV normal / |w|):
 *
 *   I_c,k(x) = (g_c(x) . u_k) * ((e - e') . u_k),   g_c = path-averaged gradient of F_c (IG's integrand),
 *
 * i.e. the logit's sensitivity along the concept times how far the sample moved along it ((e - e') . u_k
 * is the concept score's change). For an orthonormal set of directions these terms sum to IG's total,
 * F_c(e) - F_c(e'). The class's importance is the mean over its samples; by default only samples showing
 * more of the concept than the baseline count (see `evidence`).
 *
 * Localisation: IG of a concept score s_k(x) = (w . embed(x) + b) / |w| with respect to the input pixels
 * (baseline: a blurred copy by default), summed over channels: a map of where the concept's evidence lies.
 */
import type { ImageSplit } from '../data/types';
import { type Tensor, tf } from '../engine/tf';
import { UserError } from '../errors';
import type { Classifier } from '../models/classifier';
import { imageBatch } from '../training/batches';
import { type ConceptBank, conceptDirections } from './conceptBank';
import { type EmbeddingModel, embeddingModel } from './embeddingModel';
import { type IgBaseline, type IgRule, integratedGradients } from './integratedGradients';
import type { Pcbm } from './pcbm';

export interface ConceptImportanceOptions {
  /** Embedding baseline: the mean embedding of the split (default) or zero. */
  baseline?: 'mean' | 'zero';
  /** IG steps and rule (defaults of integratedGradients). */
  steps?: number;
  rule?: IgRule;
  /** Group samples by their label (default) or by the model's prediction. */
  by?: 'label' | 'prediction';
  /** Most samples per class used (default 200, the first ones of the split). */
  maxPerClass?: number;
  /**
   * 'presence' (default): count a sample's term only where it shows more of the concept than the baseline,
   * ((e - e') . u_k) > 0, so that a class is not credited with concepts it lacks (the absence of another
   * class's concept is evidence too, but not a concept of this class). 'signed': every term.
   */
  evidence?: 'presence' | 'signed';
}

export interface ConceptImportance {
  numClasses: number;
  concepts: string[];
  /** numClasses * numConcepts, row-major (class rows); 0 for a class without samples. */
  importance: Float64Array;
  /** Samples used per class. */
  counts: number[];
  /** Largest relative completeness gap of the IG runs. */
  maxRelativeGap: number;
  baseline: 'mean' | 'zero';
}

/** Importance from embeddings already computed (rows of em.dim) and their classes. */
export function conceptImportanceFromEmbeddings(
  em: EmbeddingModel,
  bank: ConceptBank,
  embeddings: Float32Array,
  classes: ArrayLike<number>,
  opts: ConceptImportanceOptions = {},
): ConceptImportance {
  const d = em.dim;
  if (bank.dim !== d)
    throw new UserError(`the bank's embedding has ${bank.dim} values but the model's has ${d}`);
  const n = classes.length;
  if (embeddings.length !== n * d)
    throw new RangeError(`${embeddings.length} embedding values for ${n} samples`);
  const kConcepts = bank.concepts.length;
  const numClasses = em.numClasses;
  const baselineKind = opts.baseline ?? 'mean';
  const maxPerClass = opts.maxPerClass ?? 200;
  const u = conceptDirections(bank);
  const presence = (opts.evidence ?? 'presence') === 'presence';

  const e0 = new Float32Array(d);
  if (baselineKind === 'mean') {
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) e0[j] += embeddings[i * d + j];
    for (let j = 0; j < d; j++) e0[j] /= Math.max(1, n);
  }
  const importance = new Float64Array(numClasses * kConcepts);
  const counts = new Array<number>(numClasses).fill(0);
  let maxRelativeGap = 0;
  const baseline = tf.tensor2d(e0, [1, d]);
  try {
    for (let c = 0; c < numClasses; c++) {
      const rows: number[] = [];
      for (let i = 0; i < n && rows.length < maxPerClass; i++) if (classes[i] === c) rows.push(i);
      counts[c] = rows.length;
      if (rows.length === 0) continue;
      const data = new Float32Array(rows.length * d);
      rows.forEach((i, r) => data.set(embeddings.subarray(i * d, (i + 1) * d), r * d));
      const x = tf.tensor2d(data, [rows.length, d]);
      const f = (e: Tensor): Tensor => tf.tidy(() => em.head(e).slice([0, c], [-1, 1]).reshape([-1]));
      let ig: ReturnType<typeof integratedGradients>;
      try {
        ig = integratedGradients(f, x, { baseline, steps: opts.steps, rule: opts.rule });
      } finally {
        x.dispose();
      }
      for (let r = 0; r < rows.length; r++) {
        if (Number.isFinite(ig.relativeGap[r])) maxRelativeGap = Math.max(maxRelativeGap, ig.relativeGap[r]);
      }
      const totals = new Float64Array(kConcepts);
      const gu = new Float64Array(kConcepts);
      const du = new Float64Array(kConcepts);
      for (let r = 0; r < rows.length; r++) {
        for (let k = 0; k < kConcepts; k++) {
          let g = 0;
          let p = 0;
          for (let j = 0; j < d; j++) {
            const uj = u[k * d + j];
            g += ig.meanGradients[r * d + j] * uj;
            p += (data[r * d + j] - e0[j]) * uj;
          }
          gu[k] = g;
          du[k] = p;
        }
        for (let k = 0; k < kConcepts; k++) {
          if (du[k] > 0 || !presence) totals[k] += gu[k] * du[k];
        }
      }
      for (let k = 0; k < kConcepts; k++) importance[c * kConcepts + k] = totals[k] / rows.length;
    }
  } finally {
    baseline.dispose();
  }
  return {
    numClasses,
    concepts: bank.concepts.map((c) => c.name),
    importance,
    counts,
    maxRelativeGap,
    baseline: baselineKind,
  };
}

/** Class-to-concept importance over the samples of `split` (see the module comment). */
export function conceptImportance(
  classifier: Classifier,
  bank: ConceptBank,
  split: ImageSplit,
  opts: ConceptImportanceOptions = {},
): ConceptImportance {
  const em = embeddingModel(classifier, bank.embeddingLayer);
  const embeddings = em.embedSplit(split);
  let classes: ArrayLike<number> = split.labels;
  if (opts.by === 'prediction') {
    const logits = new Int32Array(split.size);
    const d = em.dim;
    for (let start = 0; start < split.size; start += 256) {
      const end = Math.min(split.size, start + 256);
      const p = tf.tidy(() =>
        tf.argMax(em.head(tf.tensor2d(embeddings.subarray(start * d, end * d), [end - start, d])), 1),
      );
      logits.set(p.dataSync() as Int32Array, start);
      p.dispose();
    }
    classes = logits;
  }
  return conceptImportanceFromEmbeddings(em, bank, embeddings, classes, opts);
}

export interface ImportanceRow {
  concept: string;
  importance: number;
  /** The PCBM's weight of the concept for the class (standardised units); absent without a PCBM. */
  pcbmWeight?: number;
}

/** One class's concepts by decreasing importance, next to the PCBM's weights when given. */
export function importanceTable(imp: ConceptImportance, classIndex: number, pcbm?: Pcbm): ImportanceRow[] {
  const k = imp.concepts.length;
  if (pcbm && pcbm.numConcepts !== k) {
    throw new RangeError(`the PCBM has ${pcbm.numConcepts} concepts, the importance ${k}`);
  }
  return imp.concepts
    .map((concept, j) => ({
      concept,
      importance: imp.importance[classIndex * k + j],
      ...(pcbm ? { pcbmWeight: pcbm.weights[j * pcbm.numClasses + classIndex] } : {}),
    }))
    .sort((a, b) => b.importance - a.importance);
}

export interface LocalizationOptions {
  /** Pixel baseline (default 'blur'). */
  baseline?: IgBaseline;
  steps?: number;
  rule?: IgRule;
  blurSigma?: number;
}

export interface ConceptLocalization {
  concept: string;
  /** [height, width] of each map. */
  shape: [number, number];
  /** Per image, the attributions summed over channels: n * height * width. */
  maps: Float32Array;
  /** The concept score of each image and of its baseline. */
  scores: Float32Array;
  baselineScores: Float32Array;
  /** Per image relative completeness gap. */
  relativeGap: Float32Array;
}

/** Where the evidence for `concept` lies in each image of `images`. */
export function localizeConcept(
  classifier: Classifier,
  bank: ConceptBank,
  concept: string,
  images: ImageSplit,
  opts: LocalizationOptions = {},
): ConceptLocalization {
  const entry = bank.concepts.find((c) => c.name === concept);
  if (!entry) {
    throw new UserError(
      `concept '${concept}' is not in the bank (concepts: ${bank.concepts.map((c) => c.name).join(', ')})`,
    );
  }
  const em = embeddingModel(classifier, bank.embeddingLayer);
  const [h, w, ch] = em.inputShape;
  const { cav } = entry;
  const wT = tf.tensor2d(cav.weights, [bank.dim, 1]);
  const f = (x: Tensor): Tensor =>
    tf.tidy(() => tf.div(tf.add(tf.matMul(em.embed(x), wT), cav.bias), cav.norm).reshape([-1]));
  const x = imageBatch(images, 0, images.size, em.inputShape);
  try {
    const ig = integratedGradients(f, x, {
      baseline: opts.baseline ?? 'blur',
      steps: opts.steps,
      rule: opts.rule,
      blurSigma: opts.blurSigma,
      batchSize: 256,
    });
    const maps = new Float32Array(images.size * h * w);
    for (let p = 0; p < images.size * h * w; p++) {
      let s = 0;
      for (let c = 0; c < ch; c++) s += ig.attributions[p * ch + c];
      maps[p] = s;
    }
    return {
      concept,
      shape: [h, w],
      maps,
      scores: ig.fx,
      baselineScores: ig.fBaseline,
      relativeGap: ig.relativeGap,
    };
  } finally {
    tf.dispose([x, wT]);
  }
}
