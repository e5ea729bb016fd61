/** Small datasets for tests: a stratified slice of MNIST, and a trivially separable synthetic set. */
import { loadMnist } from '../../native/data/mnist';
import type { ImageDataset, ImageSplit } from '../../native/data/types';
import { Rng } from '../../native/engine/random';

let mnistCache: ImageDataset | undefined;

/** 2,000 MNIST training images, 500 test, 500 held-out (cached across tests of one file). */
export function tinyMnist(): ImageDataset {
  mnistCache ??= loadMnist({ limitTrain: 2000, limitTest: 500, heldoutFraction: 500 / 60000, seed: 7 });
  return mnistCache;
}

/** `n` 8x8 grey images of `k` classes: class c is a bright bar in row c (plus noise). */
export function barsSplit(n: number, k: number, seed: number): ImageSplit {
  const rng = new Rng(seed);
  const pixels = new Uint8Array(n * 64);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % k;
    labels[i] = c;
    for (let j = 0; j < 64; j++) pixels[i * 64 + j] = Math.floor(rng.next() * 60);
    for (let col = 0; col < 8; col++) pixels[i * 64 + c * 8 + col] = 200 + Math.floor(rng.next() * 55);
  }
  return { pixels, labels, size: n };
}

export function barsDataset(k = 4, seed = 1): ImageDataset {
  return {
    name: 'bars',
    classNames: Array.from({ length: k }, (_, i) => `bar${i}`),
    shape: [8, 8, 1],
    train: barsSplit(400, k, seed),
    test: barsSplit(120, k, seed + 1),
    heldout: barsSplit(120, k, seed + 2),
  };
}
