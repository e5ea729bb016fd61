import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import {
  type ImageDataset,
  type ImageSplit,
  carveHeldout,
  classCounts,
  concatSplits,
  importIdx,
  importImageFolder,
  loadMnist,
  mnistDataDir,
  readIdx,
  selectIndices,
  selectWhere,
  stratifiedPick,
  subsetSplit,
  writeIdx,
} from '../../native/data';
import { UserError } from '../../native/errors';

let tmp = '';
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'unlearn-data-'));
});
after(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** A fresh sub-folder of the temp dir. */
function freshDir(name: string): string {
  const d = join(tmp, name);
  mkdirSync(d, { recursive: true });
  return d;
}

function userError(pattern: RegExp | string): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
    assert.ok(!err.message.includes('\n'), `message is not one line: ${err.message}`);
    if (typeof pattern === 'string')
      assert.ok(err.message.includes(pattern), `"${err.message}" lacks "${pattern}"`);
    else assert.match(err.message, pattern);
    return true;
  };
}

/** A small synthetic split: sample i has label labels[i] and pixel bytes [i, i, i]. */
function toySplit(labels: number[]): ImageSplit {
  const pixels = new Uint8Array(labels.length * 3);
  labels.forEach((_, i) => pixels.fill(i, i * 3, i * 3 + 3));
  return { pixels, labels: Int32Array.from(labels), size: labels.length };
}

function assertValid(ds: ImageDataset): void {
  const [h, w, c] = ds.shape;
  for (const s of [ds.train, ds.test, ds.heldout]) {
    assert.equal(s.labels.length, s.size);
    assert.equal(s.pixels.length, s.size * h * w * c);
    for (const l of s.labels) assert.ok(l >= 0 && l < ds.classNames.length);
  }
}

function sum(a: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}

describe('MNIST', () => {
  const dir = mnistDataDir();
  const rawImages = readFileSync(join(dir, 'train-images-idx3-ubyte'));
  const rawLabels = readFileSync(join(dir, 'train-labels-idx1-ubyte'));
  let full: ImageDataset;
  before(() => {
    full = loadMnist();
  });

  test('the IDX reader agrees with the raw files', () => {
    const labels = readIdx(join(dir, 'train-labels-idx1-ubyte'));
    assert.deepEqual(labels.dims, [60000]);
    assert.equal(rawLabels.readUInt32BE(0), 0x801);
    assert.equal(labels.data[0], rawLabels[8]);
    assert.equal(labels.data[0], 5); // the well-known first MNIST training digit
    assert.equal(Buffer.compare(Buffer.from(labels.data), rawLabels.subarray(8)), 0);
  });

  test('full sizes, shape and labels', () => {
    assert.equal(full.name, 'mnist');
    assert.deepEqual(full.shape, [28, 28, 1]);
    assert.deepEqual(full.classNames, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    assert.equal(full.train.size, 55000);
    assert.equal(full.heldout.size, 5000);
    assert.equal(full.test.size, 10000);
    assertValid(full);
  });

  test('train + held-out hold exactly the 60k training images (pixel sum, label histogram)', () => {
    assert.equal(sum(full.train.pixels) + sum(full.heldout.pixels), sum(rawImages.subarray(16)));
    const together = concatSplits([full.train, full.heldout]);
    assert.deepEqual(classCounts(together.labels, 10), classCounts(rawLabels.subarray(8), 10));
  });

  test('held-out is stratified and disjoint from train', () => {
    const raw = readIdx(join(dir, 'train-images-idx3-ubyte'));
    const split: ImageSplit = {
      pixels: raw.data,
      labels: Int32Array.from(rawLabels.subarray(8)),
      size: 60000,
    };
    const carved = carveHeldout(split, 1 / 12, 0);
    const trainSet = new Set(carved.trainIndices);
    assert.equal(trainSet.size, 55000);
    assert.equal(carved.heldoutIndices.length, 5000);
    for (const i of carved.heldoutIndices) assert.ok(!trainSet.has(i), `index ${i} in both`);
    // loadMnist (seed 0) holds out exactly these samples.
    assert.equal(Buffer.compare(Buffer.from(carved.heldout.pixels), Buffer.from(full.heldout.pixels)), 0);
    assert.deepEqual(full.heldout.labels, carved.heldout.labels);
    assert.deepEqual(full.train.labels, carved.train.labels);
    assert.equal(Buffer.compare(Buffer.from(carved.train.pixels), Buffer.from(full.train.pixels)), 0);
    // Limits apply after carving: the same as subsetting the carved training split.
    const limited = loadMnist({ limitTrain: 500 });
    const expected = subsetSplit(carved.train, 500, 1);
    assert.deepEqual(limited.train.labels, expected.labels);
    assert.equal(Buffer.compare(Buffer.from(limited.train.pixels), Buffer.from(expected.pixels)), 0);
    const all = classCounts(split.labels, 10);
    classCounts(full.heldout.labels, 10).forEach((n, c) =>
      assert.ok(Math.abs(n - all[c] / 12) <= 1, `class ${c}`),
    );
  });

  test('limits are stratified and deterministic', () => {
    const a = loadMnist({ limitTrain: 1000, limitTest: 300, seed: 3 });
    const b = loadMnist({ limitTrain: 1000, limitTest: 300, seed: 3 });
    const c = loadMnist({ limitTrain: 1000, limitTest: 300, seed: 4 });
    assert.equal(a.train.size, 1000);
    assert.equal(a.test.size, 300);
    assert.equal(a.heldout.size, 5000);
    assertValid(a);
    assert.deepEqual(a.train.labels, b.train.labels);
    assert.equal(Buffer.compare(Buffer.from(a.train.pixels), Buffer.from(b.train.pixels)), 0);
    assert.notDeepEqual(a.heldout.labels, c.heldout.labels);
    // The pool limitTrain draws from: the 60k training images less the (unlimited) held-out split.
    const heldoutCounts = classCounts(a.heldout.labels, 10);
    const pool = classCounts(rawLabels.subarray(8), 10).map((n, k) => n - heldoutCounts[k]);
    classCounts(a.train.labels, 10).forEach((n, k) => assert.ok(Math.abs(n - (pool[k] * 1000) / 55000) < 1));
    const testPool = classCounts(full.test.labels, 10);
    classCounts(a.test.labels, 10).forEach((n, k) =>
      assert.ok(Math.abs(n - (testPool[k] * 300) / 10000) < 1),
    );
  });
});

describe('split helpers', () => {
  const labels = [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 0, 0];

  test('selectIndices / selectWhere / concatSplits keep pixels with their labels', () => {
    const s = toySplit(labels);
    const picked = selectIndices(s, [4, 0]);
    assert.deepEqual(picked.labels, Int32Array.from([1, 0]));
    assert.deepEqual(picked.pixels, Uint8Array.from([4, 4, 4, 0, 0, 0]));
    const zeros = selectWhere(s, (l) => l === 0);
    assert.equal(zeros.size, 6);
    assert.deepEqual(zeros.pixels.subarray(0, 6), Uint8Array.from([0, 0, 0, 3, 3, 3]));
    const both = concatSplits([
      picked,
      { pixels: new Uint8Array(0), labels: new Int32Array(0), size: 0 },
      zeros,
    ]);
    assert.equal(both.size, 8);
    assert.deepEqual(both.labels.subarray(0, 3), Int32Array.from([1, 0, 0]));
    assert.equal(both.pixels.length, 24);
    assert.throws(() => selectIndices(s, [12]), RangeError);
  });

  test('carveHeldout: same fraction per class, disjoint, deterministic', () => {
    const s = toySplit(Array.from({ length: 120 }, (_, i) => i % 3));
    const a = carveHeldout(s, 0.25, 7);
    assert.equal(a.heldout.size, 30);
    assert.equal(a.train.size, 90);
    assert.deepEqual(classCounts(a.heldout.labels, 3), [10, 10, 10]);
    const seen = new Set([...a.trainIndices, ...a.heldoutIndices]);
    assert.equal(seen.size, 120);
    assert.deepEqual(carveHeldout(s, 0.25, 7).heldoutIndices, a.heldoutIndices);
    assert.notDeepEqual(carveHeldout(s, 0.25, 8).heldoutIndices, a.heldoutIndices);
    // Pixels follow the indices.
    a.heldoutIndices.forEach((i, k) => assert.equal(a.heldout.pixels[k * 3], i));
    assert.throws(() => carveHeldout(s, 1, 0), UserError);
  });

  test('a class never gives away its last sample', () => {
    const { picked } = stratifiedPick([0, 0, 0, 0, 0, 0, 0, 0, 1], 5, 1, true);
    assert.equal(picked.length, 5);
    assert.ok(!picked.includes(8));
  });

  test('subsetSplit keeps class balance and is a no-op under the limit', () => {
    const s = toySplit(labels);
    const sub = subsetSplit(s, 6, 1);
    assert.equal(sub.size, 6);
    assert.deepEqual(classCounts(sub.labels, 3), [3, 2, 1]);
    assert.equal(subsetSplit(s, 100, 1), s);
  });
});

describe('IDX files', () => {
  test('round trip through writeIdx / readIdx, plain and gzip', () => {
    const dir = freshDir('idx-roundtrip');
    const data = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => (i * 37) % 256);
    for (const name of ['a-idx3-ubyte', 'a-idx3-ubyte.gz']) {
      writeIdx(join(dir, name), { dims: [2, 3, 4], data });
      const back = readIdx(join(dir, name));
      assert.deepEqual(back.dims, [2, 3, 4]);
      assert.deepEqual(back.data, data);
    }
    assert.equal(readFileSync(join(dir, 'a-idx3-ubyte')).readUInt32BE(0), 0x803);
  });

  test('errors name the file', () => {
    const dir = freshDir('idx-errors');
    const missing = join(dir, 'missing-idx1-ubyte');
    assert.throws(() => readIdx(missing), userError(`IDX file not found: ${missing}`));

    const png = join(dir, 'image.png');
    writeFileSync(png, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    assert.throws(() => readIdx(png), userError(png));
    assert.throws(() => readIdx(png), userError(/magic number 0x89504e47, expected 0x00000803.*0x00000801/));

    const floats = join(dir, 'floats-idx1');
    writeFileSync(floats, Buffer.from([0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0]));
    assert.throws(() => readIdx(floats), userError(/unsupported IDX data type 0x0d.*floats-idx1/));

    const truncated = join(dir, 'truncated-idx3-ubyte');
    writeFileSync(
      truncated,
      Buffer.concat([Buffer.from([0, 0, 8, 3, 0, 0, 0, 10, 0, 0, 0, 2, 0, 0, 0, 2]), Buffer.alloc(30)]),
    );
    assert.throws(() => readIdx(truncated), userError(`truncated IDX file: ${truncated}`));
    assert.throws(() => readIdx(truncated), userError('need 40 data bytes, found 30'));
  });

  test('importIdx: label out of range, count mismatch, carved test split', () => {
    const dir = freshDir('idx-import');
    const n = 40;
    const images = Uint8Array.from({ length: n * 4 * 4 }, (_, i) => i % 256);
    const labels = Uint8Array.from({ length: n }, (_, i) => i % 4);
    const img = join(dir, 'train-images-idx3-ubyte');
    const lab = join(dir, 'train-labels-idx1-ubyte.gz');
    writeIdx(img, { dims: [n, 4, 4], data: images });
    writeIdx(lab, { dims: [n], data: labels });

    const ds = importIdx({ trainImages: img, trainLabels: lab, seed: 1 });
    assert.deepEqual(ds.classNames, ['0', '1', '2', '3']);
    assert.deepEqual(ds.shape, [4, 4, 1]);
    assert.equal(ds.test.size, 6);
    assert.equal(ds.heldout.size, 4);
    assert.equal(ds.train.size, 30);
    assertValid(ds);

    assert.throws(
      () => importIdx({ trainImages: img, trainLabels: lab, classNames: ['a', 'b', 'c'] }),
      userError(/label 3 out of range in .*train-labels-idx1-ubyte\.gz/),
    );
    const short = join(dir, 'short-labels-idx1-ubyte');
    writeIdx(short, { dims: [n - 1], data: labels.subarray(1) });
    assert.throws(() => importIdx({ trainImages: img, trainLabels: short }), userError(short));

    const named = importIdx({
      trainImages: img,
      trainLabels: lab,
      testImages: img,
      testLabels: lab,
      classNames: ['a', 'b', 'c', 'd'],
      heldoutFraction: 0.25,
    });
    assert.equal(named.test.size, 40);
    assert.equal(named.heldout.size, 10);
    assert.equal(named.train.size, 30);
  });
});

describe('image folder import', () => {
  /** Writes a w x h image with the given channels (1 or 3) filled with `value` per channel. */
  async function writeImage(file: string, w: number, h: number, value: number[], format: 'png' | 'jpeg') {
    const c = value.length;
    const raw = Buffer.alloc(w * h * c);
    for (let i = 0; i < w * h; i++) for (let k = 0; k < c; k++) raw[i * c + k] = value[k];
    let img = sharp(raw, { raw: { width: w, height: h, channels: c as 1 | 3 } });
    if (c === 1) img = img.toColourspace('b-w'); // else sharp writes an RGB file
    await (format === 'png' ? img.png() : img.jpeg({ quality: 95 })).toFile(file);
  }

  async function makeFolder(name: string): Promise<string> {
    const root = freshDir(name);
    for (const cls of ['bird', 'cat', 'dog']) mkdirSync(join(root, cls));
    // bird: grey PNGs of different sizes; cat: red colour PNG + JPEG; dog: grey JPEGs.
    await writeImage(join(root, 'bird', 'b1.png'), 20, 10, [200], 'png');
    await writeImage(join(root, 'bird', 'b2.png'), 33, 17, [100], 'png');
    await writeImage(join(root, 'bird', 'b3.PNG'), 8, 8, [50], 'png');
    await writeImage(join(root, 'cat', 'c1.png'), 30, 40, [255, 0, 0], 'png');
    await writeImage(join(root, 'cat', 'c2.jpg'), 12, 12, [255, 0, 0], 'jpeg');
    await writeImage(join(root, 'cat', 'c3.jpeg'), 100, 90, [255, 0, 0], 'jpeg');
    await writeImage(join(root, 'dog', 'd1.jpg'), 16, 16, [30], 'jpeg');
    await writeImage(join(root, 'dog', 'd2.jpg'), 25, 25, [30], 'jpeg');
    await writeImage(join(root, 'dog', 'd3.jpg'), 9, 14, [30], 'jpeg');
    // Ignored: hidden files, other extensions, a hidden folder.
    writeFileSync(join(root, 'cat', '.DS_Store'), 'junk');
    writeFileSync(join(root, 'dog', 'notes.txt'), 'not an image');
    mkdirSync(join(root, '.cache'));
    assert.equal((await sharp(join(root, 'bird', 'b1.png')).metadata()).channels, 1);
    assert.equal((await sharp(join(root, 'dog', 'd1.jpg')).metadata()).channels, 1);
    return root;
  }

  test('PNG and JPEG, grey and colour, different sizes', async () => {
    const root = await makeFolder('folder-ok');
    const progress: number[] = [];
    const ds = await importImageFolder(root, { onProgress: (done, total) => progress.push(done, total) });
    assert.equal(ds.name, 'folder-ok');
    assert.deepEqual(ds.classNames, ['bird', 'cat', 'dog']);
    assert.deepEqual(ds.shape, [10, 20, 3]); // first image's size; colour because cat is red
    assertValid(ds);
    assert.equal(ds.train.size + ds.test.size + ds.heldout.size, 9);
    assert.equal(ds.test.size, 1);
    assert.equal(ds.heldout.size, 1);
    assert.deepEqual(ds.skipped, []);
    assert.deepEqual(progress.slice(-2), [9, 9]);
    // Every class keeps training images; red cats decode to (approximately) red.
    const all = concatSplits([ds.train, ds.test, ds.heldout]);
    assert.deepEqual(classCounts(all.labels, 3), [3, 3, 3]);
    const stride = 10 * 20 * 3;
    for (let i = 0; i < all.size; i++) {
      const px = Array.from(all.pixels.subarray(i * stride, i * stride + 3));
      if (all.labels[i] === 1) assert.ok(px[0] > 240 && px[1] < 15 && px[2] < 15, `cat pixel ${px}`);
      else assert.ok(px[0] === px[1] && px[1] === px[2], `grey pixel ${px}`);
    }
  });

  test('size, grey channels, train/test layout', async () => {
    const root = await makeFolder('folder-grey');
    const grey = await importImageFolder(root, { size: [8, 6], channels: 1, fit: 'fill', testFraction: 0 });
    assert.deepEqual(grey.shape, [8, 6, 1]);
    assert.equal(grey.test.size, 0);
    assertValid(grey);

    const split = freshDir('folder-split');
    for (const part of ['train', 'test']) {
      for (const cls of ['a', 'b']) {
        mkdirSync(join(split, part, cls), { recursive: true });
        for (let i = 0; i < 3; i++)
          await writeImage(join(split, part, cls, `${i}.png`), 5, 5, [i * 50], 'png');
      }
    }
    const ds = await importImageFolder(split, { heldoutFraction: 0.34 });
    assert.deepEqual(ds.classNames, ['a', 'b']);
    assert.deepEqual(ds.shape, [5, 5, 1]);
    assert.equal(ds.test.size, 6);
    assert.equal(ds.heldout.size, 2);
    assert.equal(ds.train.size, 4);
  });

  test('a corrupt image fails naming the file, or is skipped', async () => {
    const root = await makeFolder('folder-corrupt');
    const bad = join(root, 'dog', 'd0.jpg');
    writeFileSync(bad, 'this is not a jpeg');
    await assert.rejects(importImageFolder(root), userError(`corrupt image: ${bad} (`));
    await assert.rejects(
      importImageFolder(root, { channels: 3, size: [4, 4] }),
      userError(`corrupt image: ${bad}`),
    );
    const ds = await importImageFolder(root, { skipCorrupt: true });
    assert.equal(ds.skipped.length, 1);
    assert.equal(ds.skipped[0].file, bad);
    assert.ok(ds.skipped[0].reason.length > 0);
    assert.equal(ds.train.size + ds.test.size + ds.heldout.size, 9);
  });

  test('folder errors', async () => {
    const missing = join(tmp, 'no-such-folder');
    await assert.rejects(importImageFolder(missing), userError(`folder not found: ${missing}`));
    const file = join(tmp, 'a-file.txt');
    writeFileSync(file, 'x');
    await assert.rejects(importImageFolder(file), userError(`not a folder: ${file}`));
    const empty = freshDir('folder-no-classes');
    await assert.rejects(importImageFolder(empty), userError(`no class sub-folders in ${empty}`));

    const root = await makeFolder('folder-empty-class');
    mkdirSync(join(root, 'eel'));
    writeFileSync(join(root, 'eel', 'readme.md'), 'no images here');
    await assert.rejects(
      importImageFolder(root),
      userError(`no images in class folder: ${join(root, 'eel')}`),
    );

    const one = freshDir('folder-one-class');
    mkdirSync(join(one, 'only'));
    await writeImage(join(one, 'only', 'x.png'), 4, 4, [1], 'png');
    await assert.rejects(importImageFolder(one), userError('at least 2 classes'));
  });
});
