/**
 * Editing images inside their regions, and the labels of poisoned samples.
 *
 * Modes: `mask` replaces the region by a neutral fill (`mean`: the dataset's mean pixel; `blur`: a strongly
 * blurred copy of the same image, the baseline the IG localisation measures evidence against), `patch`
 * pastes the same pixels of a donor-class image (one drawn per image), `none` copies the images unchanged
 * (the poisoning is then in the labels only). The input split is never modified.
 */
import type { ImageSplit } from '../data/types';
import { Rng } from '../engine/random';
import { UserError } from '../errors';
import type { Regions } from './regions';

export const POISON_MODES = ['mask', 'patch', 'none'] as const;
export type PoisonMode = (typeof POISON_MODES)[number];
export const MASK_FILLS = ['mean', 'blur'] as const;
export type MaskFill = (typeof MASK_FILLS)[number];

export function isPoisonMode(s: string): s is PoisonMode {
  return (POISON_MODES as readonly string[]).includes(s);
}

export function isMaskFill(s: string): s is MaskFill {
  return (MASK_FILLS as readonly string[]).includes(s);
}

export interface PoisonImageOptions {
  mode: PoisonMode;
  /** Fill of `mask` (default 'mean'). */
  fill?: MaskFill;
  /** The colour of the 'mean' fill, one 0..255 value per channel (default: the mean pixel of `images`). */
  fillValue?: readonly number[];
  /** Standard deviation in pixels of the 'blur' fill (default a quarter of the shorter side). */
  blurSigma?: number;
  /** Donor images of `patch` (one drawn per image). */
  donors?: ImageSplit;
  /** Seed of the donor draw (default 0). */
  seed?: number;
}

export interface PoisonedImages {
  /** The edited copies; labels are copied from the input (the true classes). */
  split: ImageSplit;
  /** For `patch`, the donor image (index into `donors`) of every image; else undefined. */
  donorOf?: Int32Array;
  /** Share of the bytes that differ from the input. */
  changedShare: number;
}

/** The mean of every channel over a split, 0..255. */
export function meanPixel(split: ImageSplit, channels: number): number[] {
  const sums = new Float64Array(channels);
  const px = split.pixels;
  const n = px.length;
  for (let ch = 0; ch < channels; ch++) {
    let s = 0;
    for (let i = ch; i < n; i += channels) s += px[i];
    sums[ch] = s;
  }
  const per = Math.max(1, n / channels);
  return Array.from(sums, (s) => s / per);
}

/** Separable Gaussian blur of one h x w x c image (8-bit), border-renormalised (a flat image stays flat). */
export function blurImage(px: Uint8Array, h: number, w: number, c: number, sigma: number): Float32Array {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float64Array(2 * r + 1);
  for (let i = -r; i <= r; i++) k[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma));
  const tmp = new Float32Array(h * w * c);
  const out = new Float32Array(h * w * c);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let ch = 0; ch < c; ch++) {
        let s = 0;
        let ws = 0;
        for (let d = -r; d <= r; d++) {
          const xx = x + d;
          if (xx < 0 || xx >= w) continue;
          s += k[d + r] * px[(y * w + xx) * c + ch];
          ws += k[d + r];
        }
        tmp[(y * w + x) * c + ch] = s / ws;
      }
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let ch = 0; ch < c; ch++) {
        let s = 0;
        let ws = 0;
        for (let d = -r; d <= r; d++) {
          const yy = y + d;
          if (yy < 0 || yy >= h) continue;
          s += k[d + r] * tmp[(yy * w + x) * c + ch];
          ws += k[d + r];
        }
        out[(y * w + x) * c + ch] = s / ws;
      }
    }
  }
  return out;
}

/** Copies of `images` edited inside `regions` (one region per image, same height and width). */
export function poisonImages(
  images: ImageSplit,
  regions: Regions,
  shape: readonly [number, number, number],
  opts: PoisonImageOptions,
): PoisonedImages {
  const [h, w, c] = shape;
  const per = h * w * c;
  if (regions.n !== images.size || regions.height !== h || regions.width !== w) {
    throw new RangeError(
      `regions of ${regions.n} images of ${regions.height}x${regions.width} for ${images.size} images of ${h}x${w}`,
    );
  }
  if (images.pixels.length !== images.size * per) {
    throw new RangeError(
      `${images.pixels.length} pixel bytes for ${images.size} images of ${shape.join('x')}`,
    );
  }
  const pixels = images.pixels.slice();
  const split: ImageSplit = { pixels, labels: images.labels.slice(), size: images.size };
  if (opts.mode === 'none') return { split, changedShare: 0 };
  const masks = regions.masks;
  let donorOf: Int32Array | undefined;
  if (opts.mode === 'mask') {
    const fill = opts.fill ?? 'mean';
    if (fill === 'mean') {
      const value = opts.fillValue ?? meanPixel(images, c);
      if (value.length !== c) throw new RangeError(`fill value has ${value.length} channels, images ${c}`);
      const bytes = value.map((v) => Math.max(0, Math.min(255, Math.round(v))));
      for (let i = 0; i < images.size; i++) {
        for (let p = 0; p < h * w; p++) {
          if (!masks[i * h * w + p]) continue;
          for (let ch = 0; ch < c; ch++) pixels[i * per + p * c + ch] = bytes[ch];
        }
      }
    } else {
      const sigma = opts.blurSigma ?? Math.min(h, w) / 4;
      if (!(sigma > 0)) throw new UserError(`the blur's sigma must be above 0, got ${sigma}`);
      for (let i = 0; i < images.size; i++) {
        let any = false;
        for (let p = 0; p < h * w && !any; p++) any = masks[i * h * w + p] === 1;
        if (!any) continue;
        const blurred = blurImage(images.pixels.subarray(i * per, (i + 1) * per), h, w, c, sigma);
        for (let p = 0; p < h * w; p++) {
          if (!masks[i * h * w + p]) continue;
          for (let ch = 0; ch < c; ch++) {
            pixels[i * per + p * c + ch] = Math.max(0, Math.min(255, Math.round(blurred[p * c + ch])));
          }
        }
      }
    }
  } else {
    const donors = opts.donors;
    if (!donors || donors.size === 0) throw new UserError("mode 'patch' needs donor images");
    if (donors.pixels.length !== donors.size * per) {
      throw new RangeError(`donor images are not ${shape.join('x')}`);
    }
    const rng = new Rng(opts.seed ?? 0);
    donorOf = new Int32Array(images.size);
    for (let i = 0; i < images.size; i++) {
      const d = rng.int(donors.size);
      donorOf[i] = d;
      for (let p = 0; p < h * w; p++) {
        if (!masks[i * h * w + p]) continue;
        for (let ch = 0; ch < c; ch++) pixels[i * per + p * c + ch] = donors.pixels[d * per + p * c + ch];
      }
    }
  }
  let changed = 0;
  for (let i = 0; i < pixels.length; i++) if (pixels[i] !== images.pixels[i]) changed++;
  return { split, donorOf, changedShare: pixels.length > 0 ? changed / pixels.length : 0 };
}

export type Relabel = 'random' | 'targeted';

/**
 * Labels of poisoned samples: 'random' = a uniformly random class other than `forgetClass` per sample;
 * 'targeted' = `donorClass` for every sample.
 */
export function poisonLabels(
  n: number,
  relabel: Relabel,
  numClasses: number,
  forgetClass: number,
  rng: Rng,
  donorClass = -1,
): Int32Array {
  const out = new Int32Array(n);
  if (relabel === 'targeted') {
    if (!Number.isInteger(donorClass) || donorClass < 0 || donorClass >= numClasses) {
      throw new UserError(
        `targeted relabelling needs a donor class in 0..${numClasses - 1}, got ${donorClass}`,
      );
    }
    if (donorClass === forgetClass) throw new UserError('the donor class cannot be the forget class');
    out.fill(donorClass);
    return out;
  }
  if (numClasses < 2) throw new UserError('random relabelling needs at least 2 classes');
  for (let i = 0; i < n; i++) {
    const r = rng.int(numClasses - 1);
    out[i] = r >= forgetClass ? r + 1 : r;
  }
  return out;
}
