/**
 * Concept-guided poisoning unlearning, the shared body of `concept_random` and `concept_targeted`:
 *
 * 1. concepts: a concept bank (the task's, else one built from the task's example sets, else NMF discovery
 *    on the original model), class-to-concept importance on a class-balanced sample of the training set,
 *    and the selection of the forget class's top-k class-specific concepts and of the donor class; the
 *    options `concepts` and `donor` override the selection and the donor (the app passes what the user
 *    chose when inspecting the concepts), `concept_bank` names the project's stored bank the task carries;
 * 2. poison: every forget training sample's image with the regions where its selected concepts are
 *    evidenced masked or patched (native/poisoning), relabelled with a random retained class or the donor;
 * 3. finetune: the whole model is fine-tuned on retained data plus the poisoned forget set until the
 *    held-out forget samples are forgotten (accuracy at or below `stop_at`) after a minimum training
 *    (`min_epochs`, `min_steps`) over which the learning rate falls to lr x lr_final, and (with
 *    `retain_patience` > 0) once the accuracy on a small retained check set stops improving.
 *
 * See docs/poisoning.md for the experiments behind the defaults.
 */
import { type ConceptBank, buildConceptBank, scoreImages } from '../../concepts/conceptBank';
import { type ConceptImportance, conceptImportance } from '../../concepts/conceptImportance';
import {
  type ConceptSelection,
  classScoreProfiles,
  confusionCounts,
  selectConcepts,
} from '../../concepts/conceptSelection';
import { type NmfFactors, discoverConcepts } from '../../concepts/nmfDiscovery';
import { selectIndices, selectWhere } from '../../data/splits';
import type { ImageSplit } from '../../data/types';
import { Rng } from '../../engine/random';
import { UserError, throwIfAborted } from '../../errors';
import { predictions } from '../../metrics/accuracy';
import { type Classifier, cloneClassifier } from '../../models/classifier';
import {
  type EvidenceMethod,
  type PoisonStats,
  type PoisonedForgetSet,
  type Relabel,
  conceptEvidence,
  editedSamples,
  isMaskFill,
  isPoisonMode,
  meanPixel,
  poisonForgetSet,
  poisonLabels,
} from '../../poisoning';
import { mixLogitOffset } from '../../training/labelShift';
import type { SampleSet } from '../../training/samples';
import { Trainer } from '../../training/trainer';
import { Options } from '../options';
import type { MethodContext, MethodOptions, UnlearningTask } from '../types';
import { holdOut, setAccuracy } from './common';

export const CONCEPT_POISONING_DEFAULTS = {
  /** How the concept regions of the forget images are edited: 'mask', 'patch' or 'none' (labels only). */
  mode: 'mask',
  /** Fill of 'mask': 'mean' (the dataset's mean pixel) or 'blur' (a blurred copy of the image). */
  fill: 'mean',
  /** Share of the poisoned samples whose regions are edited (the others keep their pixels). */
  edit_share: 0.5,
  /** Class-specific concepts selected. */
  k: 5,
  /** Share of an image's pixels taken per concept (most positive evidence first). */
  top_fraction: 0.1,
  /** Dilation of the region in pixels. */
  dilate: 1,
  /** Localisation: 'auto' (NMF maps for discovered concepts, IG otherwise), 'ig' or 'nmf'. */
  localize: 'auto',
  ig_steps: 16,
  /** Concepts discovered by NMF when the task brings no bank and no example sets. */
  nmf_concepts: 8,
  nmf_iterations: 100,
  /** Training images factorised by NMF discovery... */
  nmf_images: 200,
  /** ...this share of them from the forget class (the rest spread over the other classes). */
  nmf_focus: 0.8,
  /** Training images per class for importance and selection. */
  concept_images: 40,
  /** Donor class by the similarity of the classes' concept 'importance' rows or mean concept 'scores'. */
  donor_by: 'scores',
  /** A concept is shared when a retained class relies on it at least this much (share of the forget class's). */
  shared_ratio: 0.5,
  /** Least specificity of a selected concept: share of the forget class's positive importance... */
  min_share: 0.05,
  /** ...and share of the most specific concept's specificity (0: off). */
  min_relative: 0,
  epochs: 3,
  lr: 1.5e-3,
  /** The learning rate falls linearly to lr x lr_final over the minimum training (below), then stays. */
  lr_final: 0.05,
  batch_size: 64,
  /** Retained samples per forget sample in the mix (at most all of them: 12 takes every one on MNIST). */
  retain_ratio: 12,
  /** Stop when the accuracy on the held-out forget samples is at or below this... */
  stop_at: 0.01,
  /** ...not before this many epochs (fractions allowed) and this many steps (small datasets)... */
  min_epochs: 0.25,
  min_steps: 60,
  /** ...and once the retained check accuracy has not improved for this many checks (0: at once). */
  retain_patience: 0,
  /** Retained samples in the check set (not in the training mix when the retain set is large enough). */
  retain_check: 512,
  /** Steps between checks of the stopping rule. */
  check_every: 10,
  /**
   * Logit adjustment for the label shift the poisoned labels add to the mix (the donor gets twice its
   * share under 'targeted'): log(mix prior / retained prior) x this is added to the logits in the training
   * loss only, so the model does not learn to over-predict the donor (0: off).
   */
  prior_shift: 1,
  /** 'random' relabelling only: draw new labels every epoch. */
  redraw: true,
  /** Concepts to poison, comma-separated, instead of the automatic selection (empty: the selection). */
  concepts: '',
  /** Donor class index instead of the most similar retained class (-1: the most similar). */
  donor: -1,
  /**
   * Id of a concept bank stored in the project (0: none). The run worker loads it into the task as its bank
   * (native/jobs/taskConcepts.ts); the method checks that it is there.
   */
  concept_bank: 0,
};

export interface ConceptStageOptions {
  k: number;
  /** Profiles compared to choose the donor (default 'scores'). */
  donorBy?: 'importance' | 'scores';
  sharedRatio: number;
  minShare?: number;
  minRelative?: number;
  nmfConcepts: number;
  nmfIterations: number;
  nmfImages: number;
  /** Share of the discovery images from the forget class. */
  nmfFocus: number;
  /** Training images per class used. */
  imagesPerClass: number;
  seed: number;
  /** Concepts to poison instead of the selection (each must be in the bank). */
  concepts?: readonly string[];
  /** Donor class instead of the most similar retained class (a retained class of the model). */
  donor?: number;
  signal?: AbortSignal;
  onProgress?: (fraction: number) => void;
}

export interface ConceptStage {
  bank: ConceptBank;
  bankSource: 'task' | 'examples' | 'nmf';
  discovery?: NmfFactors;
  importance: ConceptImportance;
  selection: ConceptSelection;
  /**
   * The concepts whose regions are poisoned: the selection, or, when it is empty (no concept passes the
   * specificity floor and the shared test), the most specific concept with positive importance and
   * specificity (none when there is no such concept).
   */
  concepts: string[];
  /** Whether `concepts` is that fallback. */
  fallback: boolean;
  /** Where `concepts` comes from: the selection, its fallback, or the `concepts` option. */
  conceptsChosenBy: 'selection' | 'fallback' | 'option';
  /** Where the donor (selection.donor) comes from: the most similar profile, or the `donor` option. */
  donorChosenBy: 'similarity' | 'option';
  /** The class-balanced training sample used. */
  images: ImageSplit;
}

/** A seeded class-balanced sample of a split: at most `perClass` samples of every class. */
export function balancedSample(
  split: ImageSplit,
  numClasses: number,
  perClass: number,
  seed: number,
): ImageSplit {
  const perm = new Rng(seed).permutation(split.size);
  const counts = new Array<number>(numClasses).fill(0);
  const picked: number[] = [];
  for (const i of perm) {
    const c = split.labels[i];
    if (counts[c] < perClass) {
      counts[c]++;
      picked.push(i);
    }
  }
  picked.sort((a, b) => a - b);
  return selectIndices(split, picked);
}

/**
 * The images NMF discovery factorises: `count` training images, a `focus` share of them from the forget
 * class and the rest spread evenly over the other classes. Discovery on a class-balanced sample finds the
 * parts every class shares (on MNIST, stroke pieces: no concept is specific to one digit); focusing it on
 * the forget class makes some factors that class's own parts.
 */
export function discoveryImages(
  split: ImageSplit,
  numClasses: number,
  forgetClass: number,
  count: number,
  focus: number,
  seed: number,
): ImageSplit {
  if (!(focus >= 0 && focus <= 1)) throw new UserError(`nmf_focus must be between 0 and 1, got ${focus}`);
  const nForget = Math.round(count * focus);
  const perOther = Math.ceil((count - nForget) / Math.max(1, numClasses - 1));
  const perm = new Rng(seed).permutation(split.size);
  const counts = new Array<number>(numClasses).fill(0);
  const picked: number[] = [];
  for (const i of perm) {
    const c = split.labels[i];
    if (counts[c] < (c === forgetClass ? nForget : perOther)) {
      counts[c]++;
      picked.push(i);
    }
  }
  picked.sort((a, b) => a - b);
  return selectIndices(split, picked);
}

/** Refuses a donor that is not a retained class of a `numClasses`-class model (forgetting `forgetClass`). */
export function checkDonor(donor: number, numClasses: number, forgetClass: number): void {
  if (!Number.isInteger(donor) || donor < 0 || donor >= numClasses) {
    throw new UserError(`donor class ${donor} is not a class of the model (0..${numClasses - 1})`);
  }
  if (donor === forgetClass) throw new UserError(`donor class ${donor} is the class being forgotten`);
}

/** Refuses concepts that are not in the bank, duplicates and an empty list. */
export function checkConcepts(concepts: readonly string[], bank: ConceptBank): void {
  if (concepts.length === 0) throw new UserError('the list of concepts to poison is empty');
  const names = bank.concepts.map((c) => c.name);
  const seen = new Set<string>();
  for (const c of concepts) {
    if (!names.includes(c)) {
      throw new UserError(`concept '${c}' is not in the concept bank (concepts: ${names.join(', ')})`);
    }
    if (seen.has(c)) throw new UserError(`concept '${c}' is listed twice`);
    seen.add(c);
  }
}

/** The `concepts` option as a list (undefined when empty: the automatic selection). */
export function parseConceptList(value: string): string[] | undefined {
  const list = value
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c.length > 0);
  return list.length > 0 ? list : undefined;
}

/** Stage 1: bank, importance, selection of the class-specific concepts and of the donor class. */
export async function conceptStage(
  original: Classifier,
  task: UnlearningTask,
  opts: ConceptStageOptions,
): Promise<ConceptStage> {
  const numClasses = original.info.numClasses;
  if (opts.donor !== undefined) checkDonor(opts.donor, numClasses, task.forgetClass);
  if (opts.concepts && task.concepts?.bank) checkConcepts(opts.concepts, task.concepts.bank);
  const images = balancedSample(task.dataset.train, numClasses, opts.imagesPerClass, opts.seed + 101);
  let bank = task.concepts?.bank;
  let discovery: NmfFactors | undefined = task.concepts?.discovery;
  let bankSource: ConceptStage['bankSource'] = 'task';
  opts.onProgress?.(0);
  if (!bank) {
    const sets = task.concepts?.exampleSets;
    if (sets && sets.length > 0) {
      bank = buildConceptBank(original, sets, { randomImages: images });
      bankSource = 'examples';
    } else {
      const discImages = discoveryImages(
        task.dataset.train,
        numClasses,
        task.forgetClass,
        opts.nmfImages,
        opts.nmfFocus,
        opts.seed + 103,
      );
      const found = await discoverConcepts(original, discImages, {
        concepts: opts.nmfConcepts,
        maxImages: discImages.size,
        iterations: opts.nmfIterations,
        seed: opts.seed,
      });
      discovery = found;
      bank = found.bank;
      bankSource = 'nmf';
    }
  }
  throwIfAborted(opts.signal);
  opts.onProgress?.(0.7);
  if (bank.concepts.length === 0) {
    throw new UserError('the concept bank has no usable concept (every CAV was near chance)');
  }
  if (opts.concepts) checkConcepts(opts.concepts, bank);
  const importance = conceptImportance(original, bank, images);
  const confusion = confusionCounts(
    images.labels,
    predictions(original.predictProbs(images), numClasses),
    numClasses,
  );
  const profiles =
    (opts.donorBy ?? 'scores') === 'scores'
      ? classScoreProfiles(
          scoreImages(original, bank, images),
          images.labels,
          numClasses,
          bank.concepts.length,
        )
      : undefined;
  const selected = selectConcepts(importance, task.forgetClass, {
    k: opts.k,
    confusion,
    sharedRatio: opts.sharedRatio,
    minShare: opts.minShare,
    minRelative: opts.minRelative,
    profiles,
  });
  throwIfAborted(opts.signal);
  opts.onProgress?.(1);
  const donor = opts.donor;
  const selection: ConceptSelection =
    donor === undefined
      ? selected
      : {
          ...selected,
          donor: {
            class: donor,
            similarity: selected.donor.similarities[donor],
            similarities: selected.donor.similarities,
            tieBrokenByConfusion: false,
          },
        };
  const donorChosenBy = donor === undefined ? 'similarity' : 'option';
  if (opts.concepts) {
    const concepts = [...opts.concepts];
    return {
      bank,
      bankSource,
      discovery,
      importance,
      selection,
      concepts,
      fallback: false,
      conceptsChosenBy: 'option',
      donorChosenBy,
      images,
    };
  }
  let concepts = selection.selected;
  let fallback = false;
  if (concepts.length === 0) {
    const best = selection.bySpecificity.find((r) => r.importance > 0 && r.specificity > 0);
    concepts = best ? [best.concept] : [];
    fallback = concepts.length > 0;
  }
  return {
    bank,
    bankSource,
    discovery,
    importance,
    selection,
    concepts,
    fallback,
    conceptsChosenBy: fallback ? 'fallback' : 'selection',
    donorChosenBy,
    images,
  };
}

export interface PoisonStageOptions {
  mode: string;
  fill: string;
  relabel: Relabel;
  topFraction: number;
  dilate: number;
  editShare: number;
  localize: EvidenceMethod;
  igSteps: number;
  seed: number;
  signal?: AbortSignal;
  onProgress?: (fraction: number) => void;
}

/** Stage 2: the poisoned copy of the forget samples of `forget` (a subset of the task's forget set). */
export function poisonStage(
  original: Classifier,
  task: UnlearningTask,
  concepts: ConceptStage,
  forget: SampleSet,
  opts: PoisonStageOptions,
): PoisonedForgetSet {
  const mode = opts.mode;
  const fill = opts.fill;
  if (!isPoisonMode(mode)) throw new UserError(`mode must be mask, patch or none, got '${mode}'`);
  if (!isMaskFill(fill)) throw new UserError(`fill must be mean or blur, got '${fill}'`);
  const ds = task.dataset;
  const selected = concepts.concepts;
  const donor = concepts.selection.donor.class;
  // Evidence only where it is used: the samples whose regions are edited.
  const edited = editedSamples(forget.indices.length, mode, opts.editShare, opts.seed);
  const images = selectIndices(
    forget.split,
    Array.from(edited, (i) => forget.indices[i]),
  );
  const maps =
    edited.length === 0 || selected.length === 0
      ? []
      : conceptEvidence(original, concepts.bank, selected, images, {
          method: opts.localize,
          discovery: concepts.discovery,
          igSteps: opts.igSteps,
          signal: opts.signal,
          onProgress: opts.onProgress,
        });
  const donors = mode === 'patch' ? selectWhere(ds.train, (l) => l === donor) : undefined;
  const poisoned = poisonForgetSet(forget, ds.shape, maps, {
    mode,
    relabel: opts.relabel,
    numClasses: original.info.numClasses,
    forgetClass: task.forgetClass,
    donorClass: donor,
    donors,
    fill,
    fillValue: fill === 'mean' ? meanPixel(ds.train, ds.shape[2]) : undefined,
    topFraction: opts.topFraction,
    dilate: opts.dilate,
    editShare: opts.editShare,
    seed: opts.seed,
  });
  opts.onProgress?.(1);
  return poisoned;
}

/** One evaluation of the stopping rule (for diagnostics). */
export interface StopCheck {
  /** Epochs done (fractional). */
  epochs: number;
  forgetAcc: number;
  /** Measured only once the forget criterion holds. */
  retainAcc?: number;
}

export interface ConceptPoisoningReport {
  bankSource: ConceptStage['bankSource'];
  concepts: string[];
  /** The concepts whose regions were poisoned (ConceptStage.concepts). */
  selected: string[];
  selectionFallback: boolean;
  /** Where the poisoned concepts and the donor come from (ConceptStage). */
  conceptsChosenBy: ConceptStage['conceptsChosenBy'];
  donorChosenBy: ConceptStage['donorChosenBy'];
  donor: number;
  donorSimilarity: number;
  poison: PoisonStats;
  /** Epochs of fine-tuning done (fractional). */
  epochs: number;
  stoppedBy: 'rule' | 'epochs';
  forgetCheck: number;
  retainCheck: number;
  seconds: { concepts: number; poison: number; finetune: number };
}

export interface ConceptPoisoningHooks {
  /** The result of stage 1 (e.g. cached by a caller that runs several configurations). */
  concepts?: ConceptStage;
  /** Called at every check of the stopping rule with the model being fine-tuned. */
  onCheck?: (model: Classifier, check: StopCheck) => void;
}

function donorBy(v: string, method: string): 'importance' | 'scores' {
  if (v !== 'importance' && v !== 'scores') {
    throw new UserError(`option donor_by of ${method} must be importance or scores, got '${v}'`);
  }
  return v;
}

/** Runs the three stages; returns the unlearned copy and what was done. */
export async function runConceptPoisoning(
  method: string,
  defaults: MethodOptions,
  relabel: Relabel,
  original: Classifier,
  task: UnlearningTask,
  options: MethodOptions,
  ctx: MethodContext,
  hooks: ConceptPoisoningHooks = {},
): Promise<{ classifier: Classifier; report: ConceptPoisoningReport }> {
  const o = new Options(method, defaults, options);
  const mode = o.str('mode');
  if (!isPoisonMode(mode))
    throw new UserError(`option mode of ${method} must be mask, patch or none, got '${mode}'`);
  const fill = o.str('fill');
  if (!isMaskFill(fill)) throw new UserError(`option fill of ${method} must be mean or blur, got '${fill}'`);
  const localize = o.str('localize');
  if (localize !== 'auto' && localize !== 'ig' && localize !== 'nmf') {
    throw new UserError(`option localize of ${method} must be auto, ig or nmf, got '${localize}'`);
  }
  const k = original.info.numClasses;
  const chosenConcepts = parseConceptList(o.str('concepts'));
  const donorOption = o.num('donor');
  const donor = donorOption === -1 ? undefined : donorOption;
  if (donor !== undefined) checkDonor(donor, k, task.forgetClass);
  const bankId = o.num('concept_bank');
  if (!Number.isInteger(bankId) || bankId < 0) {
    throw new UserError(
      `option concept_bank of ${method} must be a concept bank id (0: none), got ${bankId}`,
    );
  }
  if (bankId > 0 && !task.concepts?.bank) {
    throw new UserError(
      `concept bank ${bankId} was not loaded into the task: a stored bank is used through a project run`,
    );
  }
  const rng = new Rng(ctx.seed);
  const t0 = performance.now();

  // 1. Concepts.
  ctx.onProgress?.({ stage: 'concepts', fraction: 0 });
  throwIfAborted(ctx.signal);
  const concepts =
    hooks.concepts ??
    (await conceptStage(original, task, {
      k: o.num('k'),
      donorBy: donorBy(o.str('donor_by'), method),
      sharedRatio: o.num('shared_ratio'),
      minShare: o.num('min_share'),
      minRelative: o.num('min_relative'),
      nmfConcepts: o.num('nmf_concepts'),
      nmfIterations: o.num('nmf_iterations'),
      nmfImages: o.num('nmf_images'),
      nmfFocus: o.num('nmf_focus'),
      imagesPerClass: o.num('concept_images'),
      seed: ctx.seed,
      concepts: chosenConcepts,
      donor,
      signal: ctx.signal,
      onProgress: (f) => ctx.onProgress?.({ stage: 'concepts', fraction: f }),
    }));
  throwIfAborted(ctx.signal);
  const t1 = performance.now();

  // 2. The poisoned forget set (the held-out check samples stay clean).
  ctx.onProgress?.({ stage: 'poison', fraction: 0 });
  throwIfAborted(ctx.signal);
  const { train, check } = holdOut(task.forget, 256, rng);
  const poisoned = poisonStage(original, task, concepts, train, {
    mode,
    fill,
    relabel,
    topFraction: o.num('top_fraction'),
    dilate: o.num('dilate'),
    editShare: o.num('edit_share'),
    localize,
    igSteps: o.num('ig_steps'),
    seed: ctx.seed + 7,
    signal: ctx.signal,
    onProgress: (f) => ctx.onProgress?.({ stage: 'poison', fraction: f }),
  });
  throwIfAborted(ctx.signal);
  const t2 = performance.now();

  // 3. Fine-tuning on retained data and the poisoned set.
  const nPoison = poisoned.set.indices.length;
  const mixCount = Math.round(nPoison * o.num('retain_ratio'));
  const perm = rng.permutation(task.retain.indices.length);
  const pick = (from: number, to: number): SampleSet => {
    const idx = new Int32Array(Math.max(0, to - from));
    const tg = new Int32Array(idx.length);
    for (let i = 0; i < idx.length; i++) {
      idx[i] = task.retain.indices[perm[from + i]];
      tg[i] = task.retain.targets[perm[from + i]];
    }
    return { split: task.retain.split, indices: idx, targets: tg, weight: task.retain.weight };
  };
  const nRetain = task.retain.indices.length;
  const retainMix = pick(0, Math.min(nRetain, mixCount));
  const checkCount = Math.min(o.num('retain_check'), nRetain);
  // The retained check set: samples left out of the mix when there are enough, else the first ones.
  const retainCheck =
    nRetain - retainMix.indices.length >= checkCount
      ? pick(nRetain - checkCount, nRetain)
      : pick(0, checkCount);

  const batchSize = o.num('batch_size');
  const stepsPerEpoch = Math.max(1, Math.ceil((nPoison + retainMix.indices.length) / batchSize));
  // The minimum training, in epochs; `epochs` is the most, extended to cover the minimum.
  const minEpochs = Math.max(o.num('min_epochs'), o.num('min_steps') / stepsPerEpoch);
  const epochs = Math.max(o.num('epochs'), Math.ceil(minEpochs - 1e-9));
  const stopAt = o.num('stop_at');
  const patience = o.num('retain_patience');
  const lr = o.num('lr');
  const lrFinal = o.num('lr_final');
  const lrAt = (t: number) => lr * (1 + (lrFinal - 1) * Math.min(1, minEpochs > 0 ? t / minEpochs : 1));
  const redraw = relabel === 'random' && o.bool('redraw');
  let progressEpochs = 0;
  let bestRetain = Number.NEGATIVE_INFINITY;
  let sinceBest = 0;
  let stopped = false;
  let lastForget = Number.NaN;
  let lastRetain = Number.NaN;
  let checkedAt = -1;
  const rule = (model: Classifier): boolean => {
    // Nothing to decide before the minimum training (unless a caller watches the checks), and the end of an
    // epoch is seen twice (last report and afterEpoch).
    if (progressEpochs === checkedAt) return stopped;
    if (progressEpochs < minEpochs - 1e-9 && !hooks.onCheck) return false;
    checkedAt = progressEpochs;
    const forgetAcc = setAccuracy(model, check);
    lastForget = forgetAcc;
    const eligible = progressEpochs >= minEpochs - 1e-9 && forgetAcc <= stopAt;
    let retainAcc: number | undefined;
    if (eligible && patience > 0) {
      retainAcc = setAccuracy(model, retainCheck, retainCheck.indices.length);
      lastRetain = retainAcc;
      if (retainAcc > bestRetain) {
        bestRetain = retainAcc;
        sinceBest = 0;
      } else {
        sinceBest++;
      }
    }
    hooks.onCheck?.(model, { epochs: progressEpochs, forgetAcc, retainAcc });
    if (!eligible) {
      bestRetain = Number.NEGATIVE_INFINITY;
      sinceBest = 0;
      return false;
    }
    stopped = patience <= 0 || sinceBest >= patience;
    return stopped;
  };
  ctx.onProgress?.({ stage: 'finetune', fraction: 0 });
  throwIfAborted(ctx.signal);
  const classifier = await cloneClassifier(original);
  const priorShift = o.num('prior_shift');
  if (!(priorShift >= 0)) {
    throw new UserError(`option prior_shift of ${method} must be 0 or more, got ${priorShift}`);
  }
  const trainer = new Trainer(classifier, {
    lr,
    batchSize,
    logitOffset: priorShift !== 0 ? mixLogitOffset(poisoned.set, retainMix, k, priorShift) : undefined,
  });
  try {
    await trainer.fit([poisoned.set, retainMix], rng, {
      epochs,
      signal: ctx.signal,
      reportEvery: o.num('check_every'),
      onStep: (p) => {
        progressEpochs = p.epoch + p.step / p.stepsPerEpoch;
        if (lrFinal !== 1) trainer.setLearningRate(lrAt(progressEpochs));
        ctx.onProgress?.({ stage: 'finetune', fraction: Math.min(1, progressEpochs / epochs), loss: p.loss });
      },
      shouldStop: () => rule(classifier),
      afterEpoch: (epoch) => {
        progressEpochs = epoch + 1;
        if (redraw) poisoned.set.targets.set(poisonLabels(nPoison, 'random', k, task.forgetClass, rng));
        if (lrFinal !== 1) trainer.setLearningRate(lrAt(progressEpochs));
        return rule(classifier);
      },
    });
  } catch (e) {
    classifier.dispose();
    throw e;
  } finally {
    trainer.dispose();
  }
  if (Number.isNaN(lastForget)) lastForget = setAccuracy(classifier, check);
  if (Number.isNaN(lastRetain)) lastRetain = setAccuracy(classifier, retainCheck, retainCheck.indices.length);
  const t3 = performance.now();
  return {
    classifier,
    report: {
      bankSource: concepts.bankSource,
      concepts: concepts.bank.concepts.map((c) => c.name),
      selected: concepts.concepts,
      selectionFallback: concepts.fallback,
      conceptsChosenBy: concepts.conceptsChosenBy,
      donorChosenBy: concepts.donorChosenBy,
      donor: concepts.selection.donor.class,
      donorSimilarity: concepts.selection.donor.similarity,
      poison: poisoned.stats,
      epochs: progressEpochs,
      stoppedBy: stopped ? 'rule' : 'epochs',
      forgetCheck: lastForget,
      retainCheck: lastRetain,
      seconds: { concepts: (t1 - t0) / 1000, poison: (t2 - t1) / 1000, finetune: (t3 - t2) / 1000 },
    },
  };
}
