/**
 * The poisoned forget set of concept-guided unlearning: every forget sample's image with the regions where
 * its selected class-specific concepts are evidenced masked (`mask`), replaced by a donor-class image's
 * pixels (`patch`) or left as is (`none`), labelled with a random retained class (`random`) or the donor
 * class (`targeted`). See docs/poisoning.md.
 */
import { selectIndices } from '../data/splits';
import type { ImageSplit } from '../data/types';
import { Rng } from '../engine/random';
import { UserError } from '../errors';
import type { SampleSet } from '../training/samples';
import { type MaskFill, type PoisonMode, type Relabel, poisonImages, poisonLabels } from './poison';
import {
  type EvidenceMap,
  type RegionOptions,
  type RegionStats,
  type Regions,
  conceptRegions,
} from './regions';

export {
  type EvidenceMethod,
  type EvidenceOptions,
  conceptEvidence,
} from './evidence';
export {
  MASK_FILLS,
  type MaskFill,
  POISON_MODES,
  type PoisonImageOptions,
  type PoisonMode,
  type PoisonedImages,
  type Relabel,
  blurImage,
  isMaskFill,
  isPoisonMode,
  meanPixel,
  poisonImages,
  poisonLabels,
} from './poison';
export {
  DEFAULT_DILATE,
  DEFAULT_TOP_FRACTION,
  type EvidenceMap,
  type RegionOptions,
  type RegionStats,
  type Regions,
  conceptRegions,
  dilateMask,
  markTop,
  resizeMap,
} from './regions';

export interface PoisonForgetOptions extends RegionOptions {
  mode: PoisonMode;
  relabel: Relabel;
  numClasses: number;
  forgetClass: number;
  /** Needed for 'targeted'. */
  donorClass?: number;
  /** Donor images of 'patch' (e.g. the donor class's training images). */
  donors?: ImageSplit;
  fill?: MaskFill;
  /** Colour of the 'mean' fill (default the mean pixel of the forget images; pass the dataset's). */
  fillValue?: readonly number[];
  blurSigma?: number;
  /**
   * Share of the samples whose regions are edited (default 1); the others keep their pixels (their labels
   * are poisoned all the same). Between `none` (0) and the full edit (1).
   */
  editShare?: number;
  /** Seed of the labels, of the edited samples and of the donor draw (default 0). */
  seed?: number;
}

/** The region statistics are over the edited samples; `images` counts every poisoned sample. */
export interface PoisonStats extends RegionStats {
  mode: PoisonMode;
  relabel: Relabel;
  /** The concepts whose maps made the regions. */
  concepts: string[];
  /** Share of the image bytes that the edit changed. */
  changedShare: number;
  /** Samples whose regions were edited. */
  edited: number;
}

export interface PoisonedForgetSet {
  /** The poisoned copies of the forget images; labels are the true ones (the forget class). */
  split: ImageSplit;
  /** Every sample of `split`, trained towards the poisoned labels. */
  set: SampleSet;
  regions: Regions;
  stats: PoisonStats;
  /** For 'patch', the donor image of each sample (index into `donors`). */
  donorOf?: Int32Array;
}

/**
 * The samples (positions in a forget set of `n`) whose regions are edited: all of them for `editShare` 1,
 * none for mode `none`, else a seeded random `editShare` of them; ascending. Evidence maps are needed for
 * these samples only.
 */
export function editedSamples(n: number, mode: PoisonMode, editShare = 1, seed = 0): Int32Array {
  if (!(editShare >= 0 && editShare <= 1)) {
    throw new UserError(`the share of edited samples must be between 0 and 1, got ${editShare}`);
  }
  const count = mode === 'none' ? 0 : Math.round(editShare * n);
  if (count === n) return Int32Array.from({ length: n }, (_, i) => i);
  return new Rng(seed + 2)
    .permutation(n)
    .subarray(0, count)
    .sort((a, b) => a - b);
}

/**
 * Poisons the samples of `forget` (images of `shape`) given one evidence map per concept over the samples
 * that are edited (editedSamples(n, mode, editShare, seed), in that order); the original split is left
 * untouched.
 */
export function poisonForgetSet(
  forget: SampleSet,
  shape: readonly [number, number, number],
  maps: readonly EvidenceMap[],
  opts: PoisonForgetOptions,
): PoisonedForgetSet {
  const images = selectIndices(forget.split, forget.indices);
  const edited = editedSamples(images.size, opts.mode, opts.editShare ?? 1, opts.seed ?? 0);
  const nEdited = edited.length;
  const { regions: editedRegions, stats } = conceptRegions(maps, nEdited, [shape[0], shape[1]], opts);
  const rng = new Rng(opts.seed ?? 0);
  const pixels = shape[0] * shape[1];
  let regions = editedRegions;
  if (nEdited < images.size) {
    const masks = new Uint8Array(images.size * pixels);
    edited.forEach((sample, j) => {
      masks.set(editedRegions.masks.subarray(j * pixels, (j + 1) * pixels), sample * pixels);
    });
    regions = { ...editedRegions, n: images.size, masks };
  }
  const poisoned = poisonImages(images, regions, shape, {
    mode: opts.mode,
    fill: opts.fill,
    fillValue: opts.fillValue,
    blurSigma: opts.blurSigma,
    donors: opts.donors,
    seed: (opts.seed ?? 0) + 1,
  });
  const targets = poisonLabels(
    images.size,
    opts.relabel,
    opts.numClasses,
    opts.forgetClass,
    rng,
    opts.donorClass,
  );
  const indices = new Int32Array(images.size);
  for (let i = 0; i < images.size; i++) indices[i] = i;
  return {
    split: poisoned.split,
    set: { split: poisoned.split, indices, targets, weight: forget.weight },
    regions,
    donorOf: poisoned.donorOf,
    stats: {
      ...stats,
      images: images.size,
      mode: opts.mode,
      relabel: opts.relabel,
      concepts: maps.map((m) => m.concept),
      changedShare: poisoned.changedShare,
      edited: nEdited,
    },
  };
}
