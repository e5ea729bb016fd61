/**
 * Deterministic, stratified splitting of image splits. Every helper returns fresh splits whose pixels
 * are one contiguous NHWC buffer; samples keep their original relative order unless stated otherwise.
 */
import { Rng } from '../engine/random';
import { UserError } from '../errors';
import type { ImageSplit } from './types';

/** Bytes per sample (height * width * channels) of a split; 0 for an empty split. */
export function sampleBytes(split: ImageSplit): number {
  if (split.size === 0) return 0;
  const n = split.pixels.length / split.size;
  if (!Number.isInteger(n) || split.labels.length !== split.size) {
    throw new RangeError(
      `inconsistent split: ${split.size} samples, ${split.labels.length} labels, ${split.pixels.length} pixel bytes`,
    );
  }
  return n;
}

/** An empty split. */
export function emptySplit(): ImageSplit {
  return { pixels: new Uint8Array(0), labels: new Int32Array(0), size: 0 };
}

/** The samples at `indices`, in that order (an index may repeat). */
export function selectIndices(split: ImageSplit, indices: ArrayLike<number>): ImageSplit {
  const stride = sampleBytes(split);
  const n = indices.length;
  const pixels = new Uint8Array(n * stride);
  const labels = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const i = indices[k];
    if (!Number.isInteger(i) || i < 0 || i >= split.size) {
      throw new RangeError(`sample index ${i} out of range [0, ${split.size})`);
    }
    labels[k] = split.labels[i];
    pixels.set(split.pixels.subarray(i * stride, (i + 1) * stride), k * stride);
  }
  return { pixels, labels, size: n };
}

/** The samples whose label satisfies `predicate`, in their original order. */
export function selectWhere(
  split: ImageSplit,
  predicate: (label: number, index: number) => boolean,
): ImageSplit {
  const indices: number[] = [];
  for (let i = 0; i < split.size; i++) if (predicate(split.labels[i], i)) indices.push(i);
  return selectIndices(split, indices);
}

/** The samples of all `splits`, one after the other. All non-empty splits must have the same sample size. */
export function concatSplits(splits: readonly ImageSplit[]): ImageSplit {
  let stride = 0;
  let size = 0;
  for (const s of splits) {
    const b = sampleBytes(s);
    if (s.size === 0) continue;
    if (stride !== 0 && b !== stride) {
      throw new RangeError(`cannot concatenate splits with ${stride} and ${b} bytes per sample`);
    }
    stride = b;
    size += s.size;
  }
  const pixels = new Uint8Array(size * stride);
  const labels = new Int32Array(size);
  let at = 0;
  for (const s of splits) {
    if (s.size === 0) continue;
    pixels.set(s.pixels, at * stride);
    labels.set(s.labels, at);
    at += s.size;
  }
  return { pixels, labels, size };
}

/** The samples of `split` in a seeded random order. */
export function shuffleSplit(split: ImageSplit, seed: number): ImageSplit {
  return selectIndices(split, new Rng(seed).permutation(split.size));
}

/** Number of samples of each label (index = label). */
export function classCounts(labels: ArrayLike<number>, numClasses?: number): number[] {
  const counts: number[] = new Array(numClasses ?? 0).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    while (counts.length <= l) counts.push(0);
    counts[l]++;
  }
  return counts;
}

/**
 * Picks `count` sample indices stratified by label: each class gets its proportional share, rounded by the
 * largest-remainder method so that the shares add up to exactly `count` (ties go to the smaller label).
 * With `keepOne`, no class gives away its last sample (so the total may then fall short of `count`).
 * Which samples of a class are picked is a seeded random choice. Both index lists are sorted ascending,
 * disjoint, and together cover 0..labels.length-1.
 */
export function stratifiedPick(
  labels: ArrayLike<number>,
  count: number,
  seed: number,
  keepOne = false,
): { picked: Int32Array; rest: Int32Array } {
  const n = labels.length;
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`bad sample count ${count}`);
  count = Math.min(count, n);
  const byClass: number[][] = [];
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (!Number.isInteger(l) || l < 0) throw new RangeError(`bad label ${l} at index ${i}`);
    while (byClass.length <= l) byClass.push([]);
    byClass[l].push(i);
  }
  const caps = byClass.map((ix) => (keepOne ? Math.max(0, ix.length - 1) : ix.length));
  const quotas = byClass.map((ix) => (n === 0 ? 0 : (ix.length * count) / n));
  const take = quotas.map((q, c) => Math.min(Math.floor(q), caps[c]));
  let left = count - take.reduce((a, b) => a + b, 0);
  const order = quotas
    .map((q, c) => ({ c, r: q - Math.floor(q) }))
    .sort((a, b) => b.r - a.r || a.c - b.c)
    .map((e) => e.c);
  // Largest remainders first; loop again in case caps blocked some classes.
  while (left > 0) {
    let gave = false;
    for (const c of order) {
      if (left === 0) break;
      if (take[c] < caps[c]) {
        take[c]++;
        left--;
        gave = true;
      }
    }
    if (!gave) break;
  }
  const rng = new Rng(seed);
  const isPicked = new Uint8Array(n);
  byClass.forEach((ix, c) => {
    const perm = rng.permutation(ix.length);
    for (let k = 0; k < take[c]; k++) isPicked[ix[perm[k]]] = 1;
  });
  let np = 0;
  for (let i = 0; i < n; i++) np += isPicked[i];
  const picked = new Int32Array(np);
  const rest = new Int32Array(n - np);
  let a = 0;
  let b = 0;
  for (let i = 0; i < n; i++) {
    if (isPicked[i]) picked[a++] = i;
    else rest[b++] = i;
  }
  return { picked, rest };
}

/** Throws a UserError unless 0 <= fraction < 1. */
export function checkFraction(name: string, fraction: number): void {
  if (!Number.isFinite(fraction) || fraction < 0 || fraction >= 1) {
    throw new UserError(`${name} must be at least 0 and below 1, got ${fraction}`);
  }
}

/**
 * Moves round(size * fraction) samples to a held-out split, the same fraction of every class
 * (largest-remainder rounding; a class never gives away its last sample). Deterministic for a seed.
 * The index lists say which samples of `split` went where (sorted, disjoint).
 */
export function carveHeldout(
  split: ImageSplit,
  fraction: number,
  seed: number,
): { train: ImageSplit; heldout: ImageSplit; trainIndices: Int32Array; heldoutIndices: Int32Array } {
  checkFraction('held-out fraction', fraction);
  const { picked, rest } = stratifiedPick(split.labels, Math.round(split.size * fraction), seed, true);
  return {
    train: selectIndices(split, rest),
    heldout: selectIndices(split, picked),
    trainIndices: rest,
    heldoutIndices: picked,
  };
}

/**
 * A stratified subset of at most `limit` samples: each class keeps its share of the split
 * (largest-remainder rounding). Returns `split` itself when it is not larger than `limit`.
 */
export function subsetSplit(split: ImageSplit, limit: number, seed: number): ImageSplit {
  if (!Number.isInteger(limit) || limit < 0) {
    throw new UserError(`sample limit must be a non-negative integer, got ${limit}`);
  }
  if (split.size <= limit) return split;
  return selectIndices(split, stratifiedPick(split.labels, limit, seed).picked);
}
