/**
 * What is measured with a concept bank when it is built and stored with it (the `analysis` of a stored
 * bank, native/store/conceptBanks.ts): a post-hoc concept bottleneck (PCBM) fit on training images and
 * evaluated on the test split, the class-to-concept importance on the test split, and the model's
 * confusion counts there. Shared by `unlearn concepts` and the app's concept job.
 */
import { selectIndices } from '../data/splits';
import type { ImageDataset } from '../data/types';
import { predictions } from '../metrics/accuracy';
import type { Classifier } from '../models/classifier';
import type { ConceptAnalysis, StoredPcbm } from '../store/conceptBanks';
import { type ConceptBank, sampleImages, scoreImages } from './conceptBank';
import { conceptImportance } from './conceptImportance';
import { confusionCounts } from './conceptSelection';
import { type Pcbm, evaluatePcbm, fitPcbm } from './pcbm';

/** Most training images the PCBM is fit on. */
export const PCBM_IMAGES = 2000;
/** Most test images per class in the importance. */
export const IMPORTANCE_PER_CLASS = 200;

/** The training images a bank's PCBM is fit on: at most PCBM_IMAGES, drawn with `seed + 17`. */
export function pcbmFitSplit(dataset: ImageDataset, seed: number) {
  const fitIdx = sampleImages(dataset.train, PCBM_IMAGES, seed + 17);
  return fitIdx.length === dataset.train.size ? dataset.train : selectIndices(dataset.train, fitIdx);
}

/** The PCBM, the importance and the confusion of `bank` on `classifier` (see the module comment). */
export function analyseBank(
  classifier: Classifier,
  dataset: ImageDataset,
  bank: ConceptBank,
  seed: number,
  progress: (fraction: number, detail: string) => void = () => {},
): ConceptAnalysis {
  const k = dataset.classNames.length;
  const testPred = predictions(classifier.predictProbs(dataset.test), k);
  const confusion = Array.from(confusionCounts(dataset.test.labels, testPred, k));
  const none: ConceptAnalysis = { split: 'test', pcbm: null, pcbmReport: null, importance: null, confusion };
  const n = bank.concepts.length;
  if (n === 0) return none;
  progress(0.5, 'PCBM');
  const fit = pcbmFitSplit(dataset, seed);
  const pcbm = fitPcbm(scoreImages(classifier, bank, fit), fit.labels, n, k);
  const report = evaluatePcbm(
    pcbm,
    scoreImages(classifier, bank, dataset.test),
    dataset.test.labels,
    testPred,
  );
  progress(0.75, 'class-to-concept importance');
  const imp = conceptImportance(classifier, bank, dataset.test, { maxPerClass: IMPORTANCE_PER_CLASS });
  return {
    split: 'test',
    pcbm: { ...pcbmToStored(pcbm), fitSplit: 'train', fitImages: fit.size },
    pcbmReport: { ...report, images: dataset.test.size },
    importance: {
      numClasses: imp.numClasses,
      concepts: imp.concepts,
      importance: Array.from(imp.importance),
      counts: imp.counts,
      maxRelativeGap: imp.maxRelativeGap,
      baseline: imp.baseline,
    },
    confusion,
  };
}

export function pcbmToStored(pcbm: Pcbm): StoredPcbm {
  return {
    numConcepts: pcbm.numConcepts,
    numClasses: pcbm.numClasses,
    mean: Array.from(pcbm.mean),
    scale: Array.from(pcbm.scale),
    weights: Array.from(pcbm.weights),
    bias: Array.from(pcbm.bias),
    lambda: pcbm.lambda,
    l1Ratio: pcbm.l1Ratio,
    iterations: pcbm.iterations,
    nonZero: pcbm.nonZero,
  };
}

/** A stored PCBM back as a Pcbm (JSON null, a non-finite number, becomes 0). */
export function pcbmFromStored(p: StoredPcbm): Pcbm {
  const f = (a: readonly (number | null)[]) => Float64Array.from(a, (v) => v ?? 0);
  return {
    numConcepts: p.numConcepts,
    numClasses: p.numClasses,
    mean: f(p.mean),
    scale: f(p.scale),
    weights: f(p.weights),
    bias: f(p.bias),
    lambda: p.lambda,
    l1Ratio: p.l1Ratio,
    iterations: p.iterations,
    nonZero: p.nonZero,
  };
}
