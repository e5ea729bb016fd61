/**
 * Imports a folder of images, one sub-folder per class:
 *
 *   dir/<class>/*.{png,jpg,jpeg}                      test and held-out splits are carved from it, or
 *   dir/train/<class>/...  (+ dir/test/<class>/...)   held-out is carved from train (test too if missing).
 *
 * Class names are the sorted sub-folder names. Hidden entries (starting with '.') and files with other
 * extensions are ignored, and class folders are not searched recursively. Every image is decoded by sharp,
 * auto-oriented from its EXIF tag, stripped of its alpha channel, resized to the common size with
 * fit 'cover' by default (the aspect ratio is kept and the centre is cropped; pass fit 'fill' to stretch
 * instead), and converted to grey (1 channel) or sRGB (3 channels).
 */
import { type Dirent, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import sharp from 'sharp';
import { UserError } from '../errors';
import { checkFraction, selectIndices, shuffleSplit, stratifiedPick } from './splits';
import type { ImageDataset, ImageSplit } from './types';

export interface ImageFolderOptions {
  /** [height, width] of the imported images; default the first image's size, scaled down to fit 64x64. */
  size?: [number, number];
  /** 1 (grey) or 3 (RGB); default 3 if any image is stored in colour, else 1. */
  channels?: 1 | 3;
  /** How images of another aspect ratio are resized: 'cover' (default: keep aspect, crop centre) or 'fill' (stretch). */
  fit?: 'cover' | 'fill';
  /** Seed of the stratified carving and of the shuffling of each split; default 0. */
  seed?: number;
  /** Fraction of all images used as test split when there is no test folder; default 0.15. */
  testFraction?: number;
  /** Fraction of all (training) images held out, never trained on; default 0.1. */
  heldoutFraction?: number;
  /** Skip (and list in `skipped`) corrupt or unreadable images instead of failing. */
  skipCorrupt?: boolean;
  /** Called after each decoded image. */
  onProgress?: (done: number, total: number) => void;
}

export interface SkippedImage {
  file: string;
  reason: string;
}

export type ImportedImageFolder = ImageDataset & { skipped: SkippedImage[] };

const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'];
const MAX_DEFAULT_SIDE = 64;
const MAX_SIDE = 4096;
const CONCURRENCY = 4;

interface Entry {
  file: string;
  label: number;
  test: boolean;
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function listDir(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((d) => !d.name.startsWith('.'));
  } catch (err) {
    throw new UserError(`cannot read folder: ${dir} (${(err as Error).message})`);
  }
}

function subFolders(dir: string): string[] {
  return listDir(dir)
    .filter((d) => d.isDirectory() || (d.isSymbolicLink() && isDir(join(dir, d.name))))
    .map((d) => d.name)
    .sort();
}

function imageFiles(dir: string): string[] {
  return listDir(dir)
    .filter((d) => d.isFile() || d.isSymbolicLink())
    .map((d) => d.name)
    .filter((n) => IMAGE_EXTENSIONS.some((ext) => n.toLowerCase().endsWith(ext)))
    .sort()
    .map((n) => join(dir, n))
    .filter((f) => !isDir(f));
}

function oneLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.trim().replace(/\s*\n\s*/g, '; ');
}

/** Runs fn(0..count-1) with at most `limit` in flight; stops starting new ones once stop() is true. */
async function forEachLimited(
  count: number,
  limit: number,
  fn: (i: number) => Promise<void>,
  stop: () => boolean,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count && !stop()) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
}

function checkStat(dir: string): void {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new UserError(`folder not found: ${dir}`);
    throw new UserError(`cannot read folder: ${dir} (${(err as Error).message})`);
  }
  if (!st.isDirectory()) throw new UserError(`not a folder: ${dir}`);
}

/** Lists the images of each class folder of `root`, labelled by position in classNames. */
function collect(root: string, classNames: string[], test: boolean, into: Entry[]): void {
  for (const name of subFolders(root)) {
    const label = classNames.indexOf(name);
    if (label < 0) {
      throw new UserError(`test class folder ${join(root, name)} has no matching training class folder`);
    }
    const files = imageFiles(join(root, name));
    if (files.length === 0) {
      throw new UserError(
        `no images in class folder: ${join(root, name)} (expected .png, .jpg or .jpeg files)`,
      );
    }
    for (const file of files) into.push({ file, label, test });
  }
}

/** Imports an image folder (see the module comment). Throws UserError (one line) on bad input. */
export async function importImageFolder(
  dir: string,
  opts: ImageFolderOptions = {},
): Promise<ImportedImageFolder> {
  const seed = opts.seed ?? 0;
  const testFraction = opts.testFraction ?? 0.15;
  const heldoutFraction = opts.heldoutFraction ?? 0.1;
  const fit = opts.fit ?? 'cover';
  checkFraction('testFraction', testFraction);
  checkFraction('heldoutFraction', heldoutFraction);
  if (opts.channels !== undefined && opts.channels !== 1 && opts.channels !== 3) {
    throw new UserError(`channels must be 1 or 3, got ${opts.channels}`);
  }
  if (opts.size) {
    const [h, w] = opts.size;
    if (![h, w].every((v) => Number.isInteger(v) && v >= 1 && v <= MAX_SIDE)) {
      throw new UserError(`image size must be two integers from 1 to ${MAX_SIDE}, got ${h}x${w}`);
    }
  }

  checkStat(dir);
  const top = subFolders(dir);
  const trainDir = join(dir, 'train');
  const testDir = join(dir, 'test');
  const splitLayout =
    top.includes('train') && subFolders(trainDir).length > 0 && imageFiles(trainDir).length === 0;
  const classRoot = splitLayout ? trainDir : dir;
  const classNames = subFolders(classRoot);
  if (classNames.length === 0) {
    throw new UserError(
      `no class sub-folders in ${dir} (expected ${dir}/<class>/*.png|jpg|jpeg or ${dir}/train/<class>/... and ${dir}/test/<class>/...)`,
    );
  }
  if (classNames.length < 2) {
    throw new UserError(
      `only 1 class folder in ${classRoot} (${classNames[0]}): at least 2 classes are needed`,
    );
  }
  const hasTestDir = splitLayout && top.includes('test');
  if (hasTestDir && subFolders(testDir).length === 0) {
    throw new UserError(`no class sub-folders in ${testDir}`);
  }
  if (!hasTestDir && testFraction + heldoutFraction >= 1) {
    throw new UserError(
      `testFraction + heldoutFraction must be below 1, got ${testFraction + heldoutFraction}`,
    );
  }

  const entries: Entry[] = [];
  collect(classRoot, classNames, false, entries);
  if (hasTestDir) collect(testDir, classNames, true, entries);

  const skipped: SkippedImage[] = [];
  const bad = new Set<number>();
  const failures = new Map<number, string>();
  const fail = (i: number, err: unknown): void => {
    const reason = oneLine(err);
    if (opts.skipCorrupt) {
      bad.add(i);
      skipped.push({ file: entries[i].file, reason });
    } else {
      failures.set(i, reason);
    }
  };
  const throwFirstFailure = (): void => {
    if (failures.size === 0) return;
    const i = Math.min(...failures.keys());
    throw new UserError(`corrupt image: ${entries[i].file} (${failures.get(i)})`);
  };

  // Pass 1 (headers only): the default size and channel count.
  let size = opts.size;
  let channels = opts.channels;
  if (!size || !channels) {
    const metas: (sharp.Metadata | undefined)[] = new Array(entries.length);
    // With the channel count given, only the first readable image's size is needed.
    const enough = (): boolean => failures.size > 0 || (channels !== undefined && metas.some((m) => m));
    await forEachLimited(
      entries.length,
      CONCURRENCY,
      async (i) => {
        try {
          metas[i] = await sharp(entries[i].file).metadata();
        } catch (err) {
          fail(i, err);
        }
      },
      enough,
    );
    throwFirstFailure();
    const first = metas.find((m) => m);
    if (!first) throw new UserError(`no readable images in ${dir}`);
    if (!size) {
      const w = first.autoOrient?.width ?? first.width;
      const h = first.autoOrient?.height ?? first.height;
      const scale = Math.min(1, MAX_DEFAULT_SIDE / Math.max(w, h));
      size = [Math.max(1, Math.round(h * scale)), Math.max(1, Math.round(w * scale))];
    }
    if (!channels) channels = metas.some((m) => m && m.channels >= 3) ? 3 : 1;
  }
  const [height, width] = size;
  const ch: 1 | 3 = channels;
  const stride = height * width * ch;

  // Pass 2: decode every image into one contiguous buffer.
  const todo = entries.map((_, i) => i).filter((i) => !bad.has(i));
  const pixels = new Uint8Array(entries.length * stride);
  let done = 0;
  await forEachLimited(
    todo.length,
    CONCURRENCY,
    async (k) => {
      const i = todo[k];
      try {
        let img = sharp(entries[i].file)
          .autoOrient()
          .removeAlpha()
          .resize({ width, height, fit, position: 'centre' });
        img = ch === 1 ? img.greyscale() : img.toColourspace('srgb');
        const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
        if (
          info.width !== width ||
          info.height !== height ||
          info.channels !== ch ||
          data.length !== stride
        ) {
          throw new Error(
            `decoded to ${info.width}x${info.height}x${info.channels}, expected ${width}x${height}x${ch}`,
          );
        }
        pixels.set(data, i * stride);
      } catch (err) {
        fail(i, err);
      }
      done++;
      opts.onProgress?.(done, todo.length);
    },
    () => failures.size > 0,
  );
  throwFirstFailure();
  skipped.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));

  // Every class needs at least one readable training image.
  const perClass = new Array(classNames.length).fill(0);
  entries.forEach((e, i) => {
    if (!bad.has(i) && !e.test) perClass[e.label]++;
  });
  perClass.forEach((n, c) => {
    if (n === 0) {
      throw new UserError(`no readable images in class folder: ${join(classRoot, classNames[c])}`);
    }
  });

  const all: ImageSplit = {
    pixels,
    labels: Int32Array.from(entries, (e) => e.label),
    size: entries.length,
  };
  const pick = (test: boolean): ImageSplit =>
    selectIndices(
      all,
      entries.map((e, i) => (e.test === test && !bad.has(i) ? i : -1)).filter((i) => i >= 0),
    );
  const pool = pick(false);
  let train: ImageSplit;
  let test: ImageSplit;
  let heldout: ImageSplit;
  if (hasTestDir) {
    test = pick(true);
    const h = stratifiedPick(pool.labels, Math.round(pool.size * heldoutFraction), seed, true);
    train = selectIndices(pool, h.rest);
    heldout = selectIndices(pool, h.picked);
  } else {
    const t = stratifiedPick(pool.labels, Math.round(pool.size * testFraction), seed, true);
    test = selectIndices(pool, t.picked);
    const rest = selectIndices(pool, t.rest);
    const h = stratifiedPick(rest.labels, Math.round(pool.size * heldoutFraction), seed + 1, true);
    train = selectIndices(rest, h.rest);
    heldout = selectIndices(rest, h.picked);
  }
  // Folders are read class by class: shuffle so that no split is sorted by class.
  return {
    name: basename(resolve(dir)),
    classNames,
    shape: [height, width, ch],
    train: shuffleSplit(train, seed + 2),
    test: shuffleSplit(test, seed + 3),
    heldout: shuffleSplit(heldout, seed + 4),
    skipped,
  };
}
