/**
 * A forget class's concepts as the app shows them, measured as the demo's concept stage does: the bank's
 * concept scores on the test split, a post-hoc concept bottleneck (the stored one, else fit on training
 * images), class-to-concept importance through the bottleneck, the ranking by importance and specificity
 * with the shared concepts flagged (and the retained classes sharing them), the automatic selection for
 * every k, and the donor class (the retained class whose images show the most similar concepts, near-ties
 * broken by confusion). The selection rule is the concept methods' (their default `shared_ratio`,
 * `min_share`, `min_relative`), so that what is shown is what a run would select with the same k.
 */
import type { ImageDataset } from '../data/types';
import { predictions } from '../metrics/accuracy';
import type { Classifier } from '../models/classifier';
import { pcbmFitSplit } from './bankAnalysis';
import { bottleneckImportance } from './bottleneckImportance';
import { type ConceptBank, scoreImages } from './conceptBank';
import type { ConceptImportance } from './conceptImportance';
import { type DonorChoice, classScoreProfiles, confusionCounts, selectConcepts } from './conceptSelection';
import { type Pcbm, type PcbmReport, evaluatePcbm, fitPcbm } from './pcbm';

export interface InspectionRule {
  sharedRatio: number;
  minShare: number;
  minRelative: number;
}

export interface InspectionOptions {
  rule: InspectionRule;
  /** Most test images per class in the importance (default 200). */
  maxPerClass?: number;
  /** Seed of the PCBM's training sample when it is fit here. */
  seed: number;
}

export interface InspectedRow {
  concept: string;
  importance: number;
  specificity: number;
  shared: boolean;
  /** For a shared concept, the retained classes relying on it at least sharedRatio as much (most first). */
  sharedWith: { index: number; importance: number }[];
  /** The PCBM's weight of the concept for the forget class. */
  pcbmWeight: number;
}

export interface ConceptInspectionCore {
  forgetClass: number;
  /** Every concept, by decreasing importance to the forget class (ties: by specificity). */
  rows: InspectedRow[];
  /** The class-to-concept importance (bank order). */
  importance: ConceptImportance;
  /**
   * The automatic selection for the largest k (every concept allowed), most specific first; the selection
   * for k is its first k concepts (selectConcepts cuts the same candidate list at k).
   */
  ordered: string[];
  /** The most specific concept with positive importance and specificity, for an empty selection. */
  fallback: string | null;
  donor: DonorChoice;
  pcbm: Pcbm;
  pcbmReport: PcbmReport & { images: number };
  /** Whether the PCBM was fit here (the stored bank had none, or one of another shape). */
  pcbmFitted: boolean;
}

/** The forget class's concepts on `classifier` (see the module comment). */
export function inspectConcepts(
  classifier: Classifier,
  dataset: ImageDataset,
  bank: ConceptBank,
  storedPcbm: Pcbm | null,
  forgetClass: number,
  opts: InspectionOptions,
): ConceptInspectionCore {
  const k = dataset.classNames.length;
  const n = bank.concepts.length;
  const names = bank.concepts.map((c) => c.name);
  const testPred = predictions(classifier.predictProbs(dataset.test), k);
  const confusion = confusionCounts(dataset.test.labels, testPred, k);
  const testScores = scoreImages(classifier, bank, dataset.test);
  const usable = storedPcbm && storedPcbm.numConcepts === n && storedPcbm.numClasses === k;
  let pcbm: Pcbm;
  if (usable) {
    pcbm = storedPcbm;
  } else {
    const fit = pcbmFitSplit(dataset, opts.seed);
    pcbm = fitPcbm(scoreImages(classifier, bank, fit), fit.labels, n, k);
  }
  const pcbmReport = {
    ...evaluatePcbm(pcbm, testScores, dataset.test.labels, testPred),
    images: dataset.test.size,
  };
  const importance = bottleneckImportance(
    pcbm,
    names,
    testScores,
    dataset.test.labels,
    opts.maxPerClass ?? 200,
  );
  const profiles = classScoreProfiles(testScores, dataset.test.labels, k, n);
  const rule = opts.rule;
  const sel = selectConcepts(importance, forgetClass, { ...rule, k: n, confusion, profiles });
  const at = (c: number, j: number) => importance.importance[c * n + j];
  const rows = [...sel.byImportance]
    .sort((a, b) => b.importance - a.importance || b.specificity - a.specificity)
    .map((r): InspectedRow => {
      const j = names.indexOf(r.concept);
      const sharedWith = r.shared
        ? Array.from({ length: k }, (_, c) => ({ index: c, importance: at(c, j) }))
            .filter((x) => x.index !== forgetClass && x.importance >= rule.sharedRatio * r.importance)
            .sort((a, b) => b.importance - a.importance)
        : [];
      return {
        concept: r.concept,
        importance: r.importance,
        specificity: r.specificity,
        shared: r.shared,
        sharedWith,
        pcbmWeight: pcbm.weights[j * k + forgetClass],
      };
    });
  const best = sel.bySpecificity.find((r) => r.importance > 0 && r.specificity > 0);
  return {
    forgetClass,
    rows,
    importance,
    ordered: sel.selected,
    fallback: sel.selected.length === 0 && best ? best.concept : null,
    donor: sel.donor,
    pcbm,
    pcbmReport,
    pcbmFitted: !usable,
  };
}
