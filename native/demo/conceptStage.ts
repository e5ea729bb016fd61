/**
 * The demo's concept stage, run on the original model before the unlearning methods: a concept bank (the
 * ground truth on `shapes`, NMF discovery elsewhere), a post-hoc concept bottleneck (PCBM), class-to-concept
 * importance (Integrated Gradients of the PCBM's class logit w.r.t. the concept scores, the selection's
 * basis, and of the model's class logit w.r.t. the embedding, reported next to it), the selection of the
 * concepts specific to the forget class and its donor class, and a pixel-level IG localisation of the forget
 * class's main concept on a few of its test images. Everything lands in report.json under `concepts`
 * (docs/concepts.md, "The demo's concept stage").
 */
import * as path from 'node:path';
import { bottleneckImportance } from '../concepts/bottleneckImportance';
import { type ConceptBank, buildConceptBank, sampleImages, scoreImages } from '../concepts/conceptBank';
import { conceptImportance, localizeConcept } from '../concepts/conceptImportance';
import type { ConceptImportance } from '../concepts/conceptImportance';
import {
  type ConceptSelection,
  type ConceptSelectionOptions,
  classScoreProfiles,
  confusionCounts,
  precisionAtK,
  selectConcepts,
} from '../concepts/conceptSelection';
import { groundTruthConceptSets } from '../concepts/groundTruthConcepts';
import { type NmfDiscovery, discoverConcepts } from '../concepts/nmfDiscovery';
import { type Pcbm, type PcbmReport, evaluatePcbm, fitPcbm } from '../concepts/pcbm';
import { saveHeatmap } from '../concepts/pngExport';
import type { ShapesData } from '../data/shapes';
import { selectIndices } from '../data/splits';
import type { ImageDataset, ImageSplit } from '../data/types';
import { Rng } from '../engine/random';
import { predictions } from '../metrics/accuracy';
import type { Classifier } from '../models/classifier';
import type { ConceptRowReport, ConceptsReport } from './report';

/** What the stage reports progress to (the CLI's ProgressLine fits). */
export interface StageProgress {
  update(label: string, fraction: number, detail?: string): void;
  done(message: string): void;
}

/**
 * The demo's selection rule: at most 5 concepts, not shared, each with specificity of at least 10% of the
 * forget class's positive importance and at least a third of the most specific candidate's. Fewer than 5
 * (often one or two) pass: a concept far weaker than the class's main one is more often a correlated
 * direction of the bank (an unseen colour, a position) than a concept of the class.
 */
export const DEMO_SELECTION: Readonly<
  Pick<ConceptSelectionOptions, 'k' | 'minShare' | 'minRelative' | 'sharedRatio'>
> = { k: 5, minShare: 0.1, minRelative: 1 / 3, sharedRatio: 0.5 };

/** Concepts listed per forget class in the report and the table. */
export const TOP_CONCEPTS = 8;

export { bottleneckImportance };

export interface ConceptStageOptions {
  seed: number;
  quick: boolean;
  /** The shapes data (ground-truth concepts); without it concepts are discovered by NMF. */
  shapes?: ShapesData;
  /** Where the PNGs go (a `concepts/` folder is made in it); nothing is written without it. */
  outDir?: string;
  /** NMF concepts (default 10). */
  nmfConcepts?: number;
  /** Images NMF factorises (default 300; a twentieth of the training images, at least 60, when fewer). */
  nmfImages?: number;
  /**
   * NMF discovery on images half of which are of this class (the forget class), the rest drawn from the
   * other classes, so that the class's own parts get factors of their own (as CRAFT decomposes per class)
   * instead of only the strokes every class shares. Default: a random sample of all classes.
   */
  focusClass?: number;
  /** Most training images the PCBM is fit on (default 5000). */
  pcbmImages?: number;
  /** Most test images per class in the importance (default 100 with quick, else 200). */
  importancePerClass?: number;
  progress?: StageProgress;
}

/** The forget-class independent part of the stage. */
export interface ConceptAnalysis {
  source: 'ground-truth' | 'nmf-discovery';
  bank: ConceptBank;
  pcbm: Pcbm | null;
  pcbmReport: PcbmReport | null;
  /** Class-to-concept importance through the PCBM (the selection's basis). */
  importance: ConceptImportance | null;
  /** Class-to-concept importance of the model itself: IG of its class logit along the CAV directions. */
  igImportance: ConceptImportance | null;
  /** Confusion counts of the model on the test split (row = true class). */
  confusion: Float64Array;
  /**
   * Each class's mean standardised concept scores on the test split (classScoreProfiles): the donor is the
   * retained class whose images show the most similar concepts. Null without concepts.
   */
  profiles: Float64Array | null;
  discovery?: NmfDiscovery;
  /** PNGs written, relative to outDir. */
  images: string[];
}

/** `count` training images: half (at most) of class `focus`, the rest of the other classes, seeded. */
export function focusedSample(split: ImageSplit, focus: number, count: number, seed: number): ImageSplit {
  const own: number[] = [];
  const other: number[] = [];
  for (let i = 0; i < split.size; i++) (split.labels[i] === focus ? own : other).push(i);
  const pick = (idx: number[], n: number, s: number) => {
    const perm = new Rng(s).permutation(idx.length);
    return Array.from(perm.slice(0, Math.min(n, idx.length)), (j) => idx[j]);
  };
  const mine = pick(own, Math.floor(count / 2), seed + 41);
  const rest = pick(other, count - mine.length, seed + 43);
  return selectIndices(split, [...mine, ...rest]);
}

const quiet: StageProgress = { update: () => {}, done: () => {} };

/** Builds the bank, fits the PCBM and measures the class-to-concept importance. */
export async function analyseConcepts(
  classifier: Classifier,
  dataset: ImageDataset,
  opts: ConceptStageOptions,
): Promise<ConceptAnalysis> {
  const progress = opts.progress ?? quiet;
  const k = dataset.classNames.length;
  const images: string[] = [];
  let bank: ConceptBank;
  let discovery: NmfDiscovery | undefined;
  let source: ConceptAnalysis['source'];
  if (opts.shapes) {
    source = 'ground-truth';
    progress.update('concepts', 0, 'ground-truth CAVs');
    bank = buildConceptBank(classifier, groundTruthConceptSets(opts.shapes));
  } else {
    source = 'nmf-discovery';
    progress.update('concepts', 0, 'NMF discovery');
    const outDir = opts.outDir ? path.join(opts.outDir, 'concepts') : undefined;
    const count = opts.nmfImages ?? Math.min(300, Math.max(60, Math.round(dataset.train.size / 20)));
    const split =
      opts.focusClass === undefined
        ? dataset.train
        : focusedSample(dataset.train, opts.focusClass, count, opts.seed);
    discovery = await discoverConcepts(classifier, split, {
      concepts: opts.nmfConcepts ?? 10,
      maxImages: count,
      seed: opts.seed,
      outDir,
      patchesPerConcept: 6,
      mapsPerConcept: 3,
    });
    bank = discovery.bank;
    if (opts.outDir) {
      for (const c of discovery.concepts) {
        for (const f of [...c.files.patches, ...c.files.maps]) images.push(path.relative(opts.outDir, f));
      }
    }
  }
  const testPred = predictions(classifier.predictProbs(dataset.test), k);
  const confusion = confusionCounts(dataset.test.labels, testPred, k);
  if (bank.concepts.length === 0) {
    return {
      source,
      bank,
      pcbm: null,
      pcbmReport: null,
      importance: null,
      igImportance: null,
      confusion,
      profiles: null,
      discovery,
      images,
    };
  }
  progress.update('concepts', 0.4, 'PCBM');
  const fitIdx = sampleImages(dataset.train, opts.pcbmImages ?? 5000, opts.seed + 17);
  const fitSplit =
    fitIdx.length === dataset.train.size ? dataset.train : selectIndices(dataset.train, fitIdx);
  const pcbm = fitPcbm(scoreImages(classifier, bank, fitSplit), fitSplit.labels, bank.concepts.length, k);
  const testScores = scoreImages(classifier, bank, dataset.test);
  const pcbmReport = evaluatePcbm(pcbm, testScores, dataset.test.labels, testPred);
  progress.update('concepts', 0.7, 'importance');
  const maxPerClass = opts.importancePerClass ?? (opts.quick ? 100 : 200);
  const names = bank.concepts.map((c) => c.name);
  const importance = bottleneckImportance(pcbm, names, testScores, dataset.test.labels, maxPerClass);
  const igImportance = conceptImportance(classifier, bank, dataset.test, { maxPerClass });
  const profiles = classScoreProfiles(testScores, dataset.test.labels, k, bank.concepts.length);
  return {
    source,
    bank,
    pcbm,
    pcbmReport,
    importance,
    igImportance,
    confusion,
    profiles,
    discovery,
    images,
  };
}

/** The demo's selection of concepts and donor for one forget class. */
export function selectForForget(
  analysis: ConceptAnalysis,
  forgetClass: number,
  opts: ConceptSelectionOptions = {},
): ConceptSelection | null {
  if (!analysis.importance) return null;
  return selectConcepts(analysis.importance, forgetClass, {
    ...DEMO_SELECTION,
    confusion: analysis.confusion,
    profiles: analysis.profiles ?? undefined,
    ...opts,
  });
}

const round = (v: number, digits = 4) => Number(v.toFixed(digits));

function fileSafe(name: string): string {
  return name.replace(/[^a-zA-Z0-9_-]+/g, '-');
}

export interface ConceptStageResult {
  /** report.json's `concepts`. */
  report: ConceptsReport;
  /** The bank, PCBM and importance behind it (the demo hands the bank to the concept-guided methods). */
  analysis: ConceptAnalysis;
}

/** Runs the whole stage for `forgetClass`. */
export async function runConceptStage(
  classifier: Classifier,
  dataset: ImageDataset,
  forgetClass: number,
  opts: ConceptStageOptions,
): Promise<ConceptStageResult> {
  const t0 = performance.now();
  const progress = opts.progress ?? quiet;
  const analysis = await analyseConcepts(classifier, dataset, { focusClass: forgetClass, ...opts });
  const { bank, pcbm, pcbmReport, igImportance } = analysis;
  const sel = selectForForget(analysis, forgetClass);
  const images = [...analysis.images];
  let igMax = igImportance?.maxRelativeGap ?? 0;
  const igSel = igImportance ? selectConcepts(igImportance, forgetClass, DEMO_SELECTION) : null;
  const pixelGaps: number[] = [];

  const rows: ConceptRowReport[] = [];
  if (sel) {
    const names = bank.concepts.map((c) => c.name);
    // By importance; concepts the PCBM gives no weight (importance 0) by the model's own IG importance.
    const igOf = (c: string) => igSel?.byImportance.find((x) => x.concept === c);
    const ranked = [...sel.byImportance].sort(
      (a, b) =>
        b.importance - a.importance ||
        (igOf(b.concept)?.importance ?? 0) - (igOf(a.concept)?.importance ?? 0),
    );
    for (const r of ranked.slice(0, TOP_CONCEPTS)) {
      const j = names.indexOf(r.concept);
      const ig = igOf(r.concept);
      rows.push({
        name: r.concept,
        importance: round(r.importance, 5),
        specificity: round(r.specificity, 5),
        shared: r.shared,
        selected: sel.selected.includes(r.concept),
        pcbm_weight: pcbm ? round(pcbm.weights[j * pcbm.numClasses + forgetClass]) : null,
        ig_importance: ig ? round(ig.importance, 5) : null,
        ig_specificity: ig ? round(ig.specificity, 5) : null,
      });
    }
    // Pixel-level IG: where the forget class's main concept lies in a few of its test images.
    const main = sel.selected[0] ?? sel.byImportance[0]?.concept;
    const idx: number[] = [];
    for (let i = 0; i < dataset.test.size && idx.length < 4; i++) {
      if (dataset.test.labels[i] === forgetClass) idx.push(i);
    }
    if (main && idx.length > 0) {
      progress.update('concepts', 0.9, `localising ${main}`);
      const imgs = selectIndices(dataset.test, idx);
      const loc = localizeConcept(classifier, bank, main, imgs);
      for (const g of loc.relativeGap) if (Number.isFinite(g)) pixelGaps.push(g);
      igMax = Math.max(igMax, ...pixelGaps);
      if (opts.outDir) {
        const [h, w] = loc.shape;
        const [, , c] = dataset.shape;
        for (let i = 0; i < imgs.size; i++) {
          const rel = path.join('concepts', 'localisation', `${fileSafe(main)}-${i}.png`);
          await saveHeatmap(
            imgs.pixels.subarray(i * h * w * c, (i + 1) * h * w * c),
            dataset.shape,
            loc.maps.subarray(i * h * w, (i + 1) * h * w),
            [h, w],
            path.join(opts.outDir, rel),
          );
          images.push(rel);
        }
      }
    }
  }

  const report: ConceptsReport = {
    source: analysis.source,
    embedding_layer: bank.embeddingLayer,
    concepts: bank.concepts.length,
    pcbm: pcbmReport
      ? {
          accuracy: round(pcbmReport.accuracy),
          fidelity: round(pcbmReport.fidelity),
          model_accuracy: round(pcbmReport.modelAccuracy),
          nonzero: pcbmReport.nonZero,
          weights: pcbm ? pcbm.weights.length : 0,
          lambda: pcbm ? pcbm.lambda : 0,
        }
      : null,
    forget_class_top: rows,
    selected: sel ? sel.selected : [],
    selection: {
      k: DEMO_SELECTION.k ?? 5,
      min_share: DEMO_SELECTION.minShare ?? 0.05,
      min_relative: round(DEMO_SELECTION.minRelative ?? 0),
      shared_ratio: DEMO_SELECTION.sharedRatio ?? 0.5,
    },
    donor_class:
      sel && sel.donor.class >= 0
        ? {
            index: sel.donor.class,
            name: dataset.classNames[sel.donor.class],
            similarity: round(sel.donor.similarity),
            tie_broken_by_confusion: sel.donor.tieBrokenByConfusion,
          }
        : null,
    ig_completeness_max: igMax,
    ig: {
      embedding_max_gap: igImportance?.maxRelativeGap ?? 0,
      embedding_samples: igImportance ? igImportance.counts.reduce((a, b) => a + b, 0) : 0,
      pixel_max_gap: pixelGaps.length > 0 ? Math.max(...pixelGaps) : null,
      pixel_images: pixelGaps.length,
    },
    cav_heldout: bank.concepts.map((c) => ({ name: c.name, accuracy: round(c.cav.heldoutAccuracy) })),
    dropped: bank.dropped.map((d) => ({ name: d.name, accuracy: round(d.heldoutAccuracy) })),
    images,
    seconds: round((performance.now() - t0) / 1000, 2),
  };
  if (analysis.discovery) {
    const d = analysis.discovery;
    report.discovery = {
      layer: d.layer,
      map_shape: d.mapShape,
      images: d.images.length,
      relative_error: round(d.errors[d.errors.length - 1]),
      index: opts.outDir ? path.join('concepts', 'concepts.json') : null,
    };
  }
  if (opts.shapes) {
    const truth = opts.shapes.groundTruth.specific[forgetClass] ?? [];
    report.ground_truth_specific = truth;
    report.ground_truth_precision_at_k = round(precisionAtK(report.selected, truth));
  }
  progress.done(
    `concepts (${report.source}): ${bank.concepts.length} kept, ${bank.dropped.length} dropped; ${
      report.pcbm
        ? `PCBM accuracy ${(100 * report.pcbm.accuracy).toFixed(2)}% (model ${(100 * report.pcbm.model_accuracy).toFixed(2)}%)`
        : 'no PCBM (no concept kept)'
    }; selected for class ${forgetClass}: ${report.selected.join(', ') || '-'} in ${report.seconds.toFixed(1)} s`,
  );
  return { report, analysis };
}
