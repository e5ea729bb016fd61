/** The poisoned forget set on hand-built images: regions, the three modes and the labels. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ImageSplit } from '../../native/data/types';
import { Rng } from '../../native/engine/random';
import { UserError } from '../../native/errors';
import {
  type EvidenceMap,
  type PoisonForgetOptions,
  blurImage,
  conceptRegions,
  dilateMask,
  editedSamples,
  markTop,
  meanPixel,
  poisonForgetSet,
  poisonImages,
  poisonLabels,
  resizeMap,
} from '../../native/poisoning';
import type { SampleSet } from '../../native/training/samples';

const H = 6;
const W = 6;
const C = 3;
const PER = H * W * C;

/** n RGB 6x6 images with distinct, known pixel values (image i, pixel p, channel c). */
function images(n: number, base = 0): ImageSplit {
  const pixels = new Uint8Array(n * PER);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (base + i * 7) % 251;
  return { pixels, labels: new Int32Array(n).fill(3), size: n };
}

/** A map per image with evidence only at the given pixels (value decreasing with the list order). */
function spotMap(concept: string, n: number, spots: number[][]): EvidenceMap {
  const values = new Float32Array(n * H * W);
  for (let i = 0; i < n; i++) {
    values.fill(-0.5, i * H * W, (i + 1) * H * W);
    spots[i].forEach((p, r) => {
      values[i * H * W + p] = 10 - r;
    });
  }
  return { concept, values, shape: [H, W] };
}

/** Mask each image's single strongest pixel with black; every sample relabelled as class 1 (forget class 3). */
const MASK_ONE_PIXEL: PoisonForgetOptions = {
  mode: 'mask',
  relabel: 'targeted',
  numClasses: 4,
  forgetClass: 3,
  donorClass: 1,
  fillValue: [0, 0, 0],
  topFraction: 1 / 36,
  dilate: 0,
};

function maskPixels(masks: Uint8Array, i: number): number[] {
  const out: number[] = [];
  for (let p = 0; p < H * W; p++) if (masks[i * H * W + p]) out.push(p);
  return out;
}

describe('concept regions', () => {
  it('markTop marks the count largest positive pixels, ties by lower index, as a full sort would', () => {
    const rng = new Rng(5);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + rng.int(60);
      // Values on a coarse grid, so ties are frequent; about a third negative or zero.
      const map = Float32Array.from({ length: n }, () => rng.int(9) - 3);
      const count = rng.int(n + 3);
      const got = new Uint8Array(n);
      markTop(map, count, got);
      const order = Array.from({ length: n }, (_, p) => p)
        .filter((p) => map[p] > 0)
        .sort((a, b) => map[b] - map[a] || a - b);
      const want = new Uint8Array(n);
      for (const p of order.slice(0, count)) want[p] = 1;
      assert.deepEqual(got, want, `trial ${trial}: map ${Array.from(map)}, count ${count}`);
    }
  });

  it('takes the top fraction of positive evidence per concept, unites the concepts, then dilates', () => {
    // 36 pixels, topFraction 4/36: the 4 strongest positive pixels.
    const a = spotMap('a', 2, [
      [0, 1, 2, 3, 4, 5],
      [14, 15],
    ]);
    const b = spotMap('b', 2, [[35], []]);
    const { regions, stats } = conceptRegions([a, b], 2, [H, W], { topFraction: 4 / 36, dilate: 0 });
    assert.deepEqual(maskPixels(regions.masks, 0), [0, 1, 2, 3, 35]);
    assert.deepEqual(maskPixels(regions.masks, 1), [14, 15]);
    assert.equal(stats.emptyImages, 0);
    assert.ok(Math.abs(stats.meanArea - (5 + 2) / 2 / 36) < 1e-12);
    assert.equal(stats.minArea, 2 / 36);
    assert.equal(stats.maxArea, 5 / 36);
    // Evidence inside: image 0 has 10+9+8+7 of 10+..+5 for a, and all of b; image 1 all of a.
    const inside = 10 + 9 + 8 + 7 + 10 + 10 + 9;
    const total = 10 + 9 + 8 + 7 + 6 + 5 + 10 + 10 + 9;
    assert.ok(Math.abs(stats.evidenceShare - inside / total) < 1e-9);

    const dilated = conceptRegions([spotMap('a', 1, [[14]])], 1, [H, W], { topFraction: 0.5, dilate: 1 });
    assert.deepEqual(maskPixels(dilated.regions.masks, 0), [7, 8, 9, 13, 14, 15, 19, 20, 21]);
  });

  it('leaves an image without positive evidence without a region', () => {
    const { regions, stats } = conceptRegions([spotMap('a', 1, [[]])], 1, [H, W]);
    assert.equal(maskPixels(regions.masks, 0).length, 0);
    assert.equal(stats.emptyImages, 1);
    assert.throws(() => conceptRegions([], 1, [H, W], { topFraction: 2 }), UserError);
    assert.throws(() => conceptRegions([], 1, [H, W], { dilate: 0.5 }), UserError);
  });

  it('brings a coarse map (an NMF grid) to the image size', () => {
    const coarse = new Float32Array([1, 0, 0, 0]); // 2x2, evidence in the top-left cell
    const up = resizeMap(coarse, [2, 2], [6, 6]);
    assert.equal(up.length, 36);
    assert.equal(up[0], 1);
    assert.equal(up[35], 0);
    assert.ok(up[0] >= up[7] && up[7] > up[35]);
    const { regions } = conceptRegions([{ concept: 'n', values: coarse, shape: [2, 2] }], 1, [H, W], {
      topFraction: 4 / 36,
      dilate: 0,
    });
    assert.deepEqual(maskPixels(regions.masks, 0), [0, 1, 6, 7]);
    assert.deepEqual(
      Array.from(dilateMask(new Uint8Array([0, 0, 0, 0, 1, 0, 0, 0, 0]), 3, 3, 1)),
      [1, 1, 1, 1, 1, 1, 1, 1, 1],
    );
  });
});

describe('poisoned images', () => {
  const src = images(2);
  const copy = src.pixels.slice();
  const { regions } = conceptRegions(
    [
      spotMap('a', 2, [
        [0, 7, 14],
        [20, 21],
      ]),
    ],
    2,
    [H, W],
    { topFraction: 3 / 36, dilate: 0 },
  );
  const inside = (i: number, p: number) => regions.masks[i * H * W + p] === 1;

  it('mask fills exactly the region with the mean pixel, and nothing else', () => {
    const fill = [10, 20, 30];
    const out = poisonImages(src, regions, [H, W, C], { mode: 'mask', fill: 'mean', fillValue: fill });
    for (let i = 0; i < 2; i++) {
      for (let p = 0; p < H * W; p++) {
        for (let c = 0; c < C; c++) {
          const at = i * PER + p * C + c;
          assert.equal(
            out.split.pixels[at],
            inside(i, p) ? fill[c] : src.pixels[at],
            `image ${i} pixel ${p}`,
          );
        }
      }
    }
    assert.deepEqual(src.pixels, copy, 'the input is untouched');
    assert.deepEqual(out.split.labels, src.labels);
    const byDefault = poisonImages(src, regions, [H, W, C], { mode: 'mask' });
    const mean = meanPixel(src, C).map(Math.round);
    assert.deepEqual(Array.from(byDefault.split.pixels.subarray(0, 3)), mean);
  });

  it('the blur fill puts the blurred image inside the region', () => {
    const out = poisonImages(src, regions, [H, W, C], { mode: 'mask', fill: 'blur', blurSigma: 1.5 });
    for (let i = 0; i < 2; i++) {
      const blurred = blurImage(src.pixels.subarray(i * PER, (i + 1) * PER), H, W, C, 1.5);
      for (let p = 0; p < H * W; p++) {
        for (let c = 0; c < C; c++) {
          const at = i * PER + p * C + c;
          const want = inside(i, p) ? Math.round(blurred[p * C + c]) : src.pixels[at];
          assert.equal(out.split.pixels[at], want);
        }
      }
    }
    const flat = new Uint8Array(PER).fill(77);
    assert.ok(
      blurImage(flat, H, W, C, 2).every((v) => Math.abs(v - 77) < 1e-4),
      'a flat image stays flat',
    );
  });

  it("patch copies the donor's pixels of the region", () => {
    const donors = images(3, 100);
    const out = poisonImages(src, regions, [H, W, C], { mode: 'patch', donors, seed: 5 });
    const donorOf = out.donorOf as Int32Array;
    assert.ok(donorOf);
    for (let i = 0; i < 2; i++) {
      const d: number = donorOf[i];
      assert.ok(d >= 0 && d < 3);
      for (let p = 0; p < H * W; p++) {
        for (let c = 0; c < C; c++) {
          const at = i * PER + p * C + c;
          const want: number = inside(i, p) ? donors.pixels[d * PER + p * C + c] : src.pixels[at];
          assert.equal(out.split.pixels[at], want);
        }
      }
    }
    assert.throws(() => poisonImages(src, regions, [H, W, C], { mode: 'patch' }), /needs donor images/);
  });

  it('none leaves every pixel identical (a copy)', () => {
    const out = poisonImages(src, regions, [H, W, C], { mode: 'none' });
    assert.deepEqual(out.split.pixels, src.pixels);
    assert.notEqual(out.split.pixels, src.pixels);
    assert.equal(out.changedShare, 0);
  });
});

describe('poisoned labels and the poisoned forget set', () => {
  it('random labels are uniform over the retained classes, never the forget class', () => {
    const labels = poisonLabels(9000, 'random', 10, 3, new Rng(1));
    const counts = new Array<number>(10).fill(0);
    for (const l of labels) counts[l]++;
    assert.equal(counts[3], 0);
    for (let c = 0; c < 10; c++)
      if (c !== 3) assert.ok(Math.abs(counts[c] - 1000) < 120, `class ${c}: ${counts[c]}`);
    assert.ok(poisonLabels(50, 'random', 4, 0, new Rng(2)).every((l) => l >= 1 && l <= 3));
  });

  it('targeted labels are all the donor class', () => {
    assert.ok(poisonLabels(20, 'targeted', 10, 3, new Rng(1), 5).every((l) => l === 5));
    assert.throws(() => poisonLabels(2, 'targeted', 10, 3, new Rng(1)), UserError);
    assert.throws(() => poisonLabels(2, 'targeted', 10, 3, new Rng(1), 3), /cannot be the forget class/);
  });

  it('builds a new split of the forget samples with their true labels and poisoned targets', () => {
    const split = images(5);
    split.labels.set([3, 1, 3, 3, 0]);
    const before = split.pixels.slice();
    const forget: SampleSet = {
      split,
      indices: new Int32Array([0, 2, 3]),
      targets: new Int32Array([3, 3, 3]),
      weight: 1,
    };
    const map = spotMap('a', 3, [[0], [1], [2]]);
    const p = poisonForgetSet(forget, [H, W, C], [map], MASK_ONE_PIXEL);
    assert.deepEqual(split.pixels, before, 'the original split is untouched');
    assert.equal(p.split.size, 3);
    assert.deepEqual(Array.from(p.split.labels), [3, 3, 3]);
    assert.deepEqual(Array.from(p.set.targets), [1, 1, 1]);
    assert.deepEqual(Array.from(p.set.indices), [0, 1, 2]);
    assert.equal(p.set.split, p.split);
    // Image k (forget sample k) lost pixel k; everything else is the source image's.
    for (let k = 0; k < 3; k++) {
      const srcOff = forget.indices[k] * PER;
      for (let q = 0; q < PER; q++) {
        const want: number = Math.floor(q / C) === k ? 0 : split.pixels[srcOff + q];
        assert.equal(p.split.pixels[k * PER + q], want);
      }
    }
    assert.deepEqual(p.stats.concepts, ['a']);
    assert.equal(p.stats.mode, 'mask');
    assert.equal(p.stats.relabel, 'targeted');
    assert.ok(Math.abs(p.stats.meanArea - 1 / 36) < 1e-12);
  });

  it('edits only the chosen share of the samples, with maps over those samples only', () => {
    const n = 6;
    const split = images(n);
    const forget: SampleSet = {
      split,
      indices: Int32Array.from({ length: n }, (_, i) => i),
      targets: new Int32Array(n).fill(3),
      weight: 1,
    };
    const edited = editedSamples(n, 'mask', 0.5, 4);
    assert.equal(edited.length, 3);
    assert.equal(new Set(edited).size, 3);
    assert.ok(
      edited.every((v, i) => v >= 0 && v < n && (i === 0 || v > edited[i - 1])),
      'ascending',
    );
    assert.deepEqual(editedSamples(n, 'mask', 0.5, 4), edited, 'seeded');
    assert.deepEqual(Array.from(editedSamples(n, 'patch', 1, 4)), [0, 1, 2, 3, 4, 5]);
    assert.equal(editedSamples(n, 'none', 1, 4).length, 0);
    assert.throws(() => editedSamples(n, 'mask', 1.5), UserError);
    // Edited sample j loses pixel j (the j-th map of the edited samples).
    const map = spotMap('a', 3, [[0], [1], [2]]);
    const opts = { ...MASK_ONE_PIXEL, editShare: 0.5, seed: 4 };
    const p = poisonForgetSet(forget, [H, W, C], [map], opts);
    assert.equal(p.stats.edited, 3);
    assert.equal(p.stats.images, n);
    assert.ok(Math.abs(p.stats.meanArea - 1 / 36) < 1e-12, 'area over the edited samples');
    for (let i = 0; i < n; i++) {
      const j = edited.indexOf(i);
      assert.deepEqual(maskPixels(p.regions.masks, i), j < 0 ? [] : [j]);
      for (let q = 0; q < PER; q++) {
        const want: number = j >= 0 && Math.floor(q / C) === j ? 0 : split.pixels[i * PER + q];
        assert.equal(p.split.pixels[i * PER + q], want);
      }
    }
    assert.deepEqual(Array.from(p.set.targets), new Array(n).fill(1), 'every sample is relabelled');
    // Maps over all six samples do not fit three edited ones.
    assert.throws(() =>
      poisonForgetSet(forget, [H, W, C], [spotMap('a', n, [[], [], [], [], [], []])], opts),
    );
  });
});
