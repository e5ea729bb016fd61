/**
 * Imports a user's MNIST-style dataset from IDX files (optionally gzip-compressed): images
 * [N, rows, cols] (grey) or [N, rows, cols, channels] with 1 or 3 channels, and labels [N].
 */
import { basename, dirname, resolve } from 'node:path';
import { UserError } from '../errors';
import { readIdx } from './idx';
import { carveHeldout, checkFraction, selectIndices, stratifiedPick } from './splits';
import type { ImageDataset, ImageSplit } from './types';

export interface IdxImportOptions {
  trainImages: string;
  trainLabels: string;
  /** Both or neither of the test files; without them a test split is carved from the training files. */
  testImages?: string;
  testLabels?: string;
  /** One name per class; default '0'..String(max label). */
  classNames?: string[];
  /** Fraction of the training samples held out (never trained on); default 0.1. */
  heldoutFraction?: number;
  /** Fraction of the training samples used as test split when there are no test files; default 0.15. */
  testFraction?: number;
  /** Seed of the stratified carving; default 0. */
  seed?: number;
  /** Dataset name; default the name of the training images' folder. */
  name?: string;
}

interface RawSplit {
  split: ImageSplit;
  shape: [number, number, number];
  labelsPath: string;
}

function readPair(imagesPath: string, labelsPath: string): RawSplit {
  const images = readIdx(imagesPath);
  const labels = readIdx(labelsPath);
  const d = images.dims;
  const channels = d.length === 4 ? d[3] : 1;
  if ((d.length !== 3 && d.length !== 4) || (channels !== 1 && channels !== 3) || d[1] === 0 || d[2] === 0) {
    throw new UserError(
      `not an IDX image file: ${imagesPath} (dimensions ${d.join('x')}, expected NxHxW or NxHxWxC with C = 1 or 3)`,
    );
  }
  if (labels.dims.length !== 1) {
    throw new UserError(
      `not an IDX label file: ${labelsPath} (dimensions ${labels.dims.join('x')}, expected N)`,
    );
  }
  if (d[0] !== labels.dims[0]) {
    throw new UserError(
      `image and label counts differ: ${imagesPath} has ${d[0]}, ${labelsPath} has ${labels.dims[0]}`,
    );
  }
  if (d[0] === 0) throw new UserError(`no images in ${imagesPath}`);
  return {
    split: { pixels: images.data, labels: Int32Array.from(labels.data), size: d[0] },
    shape: [d[1], d[2], channels],
    labelsPath,
  };
}

function checkLabels(raw: RawSplit, numClasses: number, classNames: string[]): void {
  const labels = raw.split.labels;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= numClasses) {
      throw new UserError(
        `label ${labels[i]} out of range in ${raw.labelsPath} (sample ${i}): ${numClasses} class names given (${classNames.join(', ')})`,
      );
    }
  }
}

/** Imports an IDX dataset. Throws UserError (one line, naming the file) on bad input. */
export function importIdx(opts: IdxImportOptions): ImageDataset {
  const seed = opts.seed ?? 0;
  const heldoutFraction = opts.heldoutFraction ?? 0.1;
  const testFraction = opts.testFraction ?? 0.15;
  checkFraction('heldoutFraction', heldoutFraction);
  checkFraction('testFraction', testFraction);
  if ((opts.testImages === undefined) !== (opts.testLabels === undefined)) {
    throw new UserError('give both test files (images and labels) or neither');
  }
  const hasTest = opts.testImages !== undefined && opts.testLabels !== undefined;
  if (!hasTest && testFraction + heldoutFraction >= 1) {
    throw new UserError(
      `testFraction + heldoutFraction must be below 1, got ${testFraction + heldoutFraction}`,
    );
  }

  const train = readPair(opts.trainImages, opts.trainLabels);
  const test = hasTest ? readPair(opts.testImages as string, opts.testLabels as string) : undefined;
  if (test && test.shape.join('x') !== train.shape.join('x')) {
    throw new UserError(
      `test images ${opts.testImages} are ${test.shape.join('x')}, training images ${opts.trainImages} are ${train.shape.join('x')}`,
    );
  }

  let classNames: string[];
  if (opts.classNames) {
    classNames = opts.classNames;
    if (new Set(classNames).size !== classNames.length) {
      throw new UserError(`duplicate class names: ${classNames.join(', ')}`);
    }
    checkLabels(train, classNames.length, classNames);
    if (test) checkLabels(test, classNames.length, classNames);
  } else {
    let max = 0;
    for (const r of test ? [train, test] : [train]) for (const l of r.split.labels) max = Math.max(max, l);
    classNames = Array.from({ length: max + 1 }, (_, i) => String(i));
  }
  if (classNames.length < 2) {
    throw new UserError(
      `only ${classNames.length} class in ${opts.trainLabels}: at least 2 classes are needed`,
    );
  }

  let trainSplit: ImageSplit;
  let testSplit: ImageSplit;
  let heldout: ImageSplit;
  if (test) {
    const carved = carveHeldout(train.split, heldoutFraction, seed);
    trainSplit = carved.train;
    heldout = carved.heldout;
    // Own copy: the read data is a view into the file's buffer.
    testSplit = { ...test.split, pixels: test.split.pixels.slice() };
  } else {
    const all = train.split;
    const t = stratifiedPick(all.labels, Math.round(all.size * testFraction), seed, true);
    testSplit = selectIndices(all, t.picked);
    const rest = selectIndices(all, t.rest);
    const h = stratifiedPick(rest.labels, Math.round(all.size * heldoutFraction), seed + 1, true);
    trainSplit = selectIndices(rest, h.rest);
    heldout = selectIndices(rest, h.picked);
  }
  return {
    name: opts.name ?? basename(dirname(resolve(opts.trainImages))),
    classNames,
    shape: train.shape,
    train: trainSplit,
    test: testSplit,
    heldout,
  };
}
