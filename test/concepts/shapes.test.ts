import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  SHAPES_CLASSES,
  SHAPES_CONCEPTS,
  VALUES,
  generateShapes,
  groundTruth,
  renderShapeImage,
  shapesNegatives,
} from '../../native/data/shapes';
import { Rng } from '../../native/engine/random';
import { UserError } from '../../native/errors';

const small = {
  size: 20,
  trainPerClass: 6,
  testPerClass: 3,
  heldoutPerClass: 2,
  examplesPerConcept: 5,
  randomImages: 30,
};
const K = SHAPES_CONCEPTS.length;
const conceptIndex = (name: string) => SHAPES_CONCEPTS.findIndex((c) => c.name === name);

describe('shapes dataset', () => {
  it('is deterministic from the seed', () => {
    const a = generateShapes({ ...small, seed: 4 });
    const b = generateShapes({ ...small, seed: 4 });
    const c = generateShapes({ ...small, seed: 5 });
    assert.deepEqual(a.dataset.train.pixels, b.dataset.train.pixels);
    assert.deepEqual(a.dataset.test.labels, b.dataset.test.labels);
    assert.deepEqual(a.examples[3].positives.pixels, b.examples[3].positives.pixels);
    assert.deepEqual(a.random.images.pixels, b.random.images.pixels);
    assert.deepEqual(a.annotations.heldout.concepts, b.annotations.heldout.concepts);
    assert.notDeepEqual(a.dataset.train.pixels, c.dataset.train.pixels);
  });

  it('has the requested splits, balanced classes and a consistent layout', () => {
    const d = generateShapes({ ...small, classes: 4 });
    assert.deepEqual(d.dataset.shape, [20, 20, 3]);
    assert.deepEqual(
      d.dataset.classNames,
      SHAPES_CLASSES.slice(0, 4).map((c) => c.name),
    );
    for (const [split, per] of [
      [d.dataset.train, 6],
      [d.dataset.test, 3],
      [d.dataset.heldout, 2],
    ] as const) {
      assert.equal(split.size, 4 * per);
      assert.equal(split.pixels.length, split.size * 20 * 20 * 3);
      for (let c = 0; c < 4; c++) assert.equal(split.labels.filter((l) => l === c).length, per);
    }
    assert.equal(d.examples.length, K);
    assert.ok(d.examples.every((e) => e.positives.size === 5));
    assert.throws(() => generateShapes({ classes: 7 }), UserError);
    assert.throws(() => generateShapes({ size: 8 }), UserError);
    assert.throws(() => generateShapes({ conceptDropout: 1 }), UserError);
  });

  it('derives the ground truth from the class table: specific and shared concepts', () => {
    const gt = groundTruth(SHAPES_CLASSES);
    assert.deepEqual(gt.specific, [
      ['texture:checker', 'part:corner'],
      ['colour:green', 'part:frame'],
      ['texture:stripes', 'part:bar'],
      ['colour:yellow', 'part:side'],
      ['shape:triangle', 'colour:magenta'],
      ['shape:cross', 'colour:cyan'],
    ]);
    assert.deepEqual(gt.shared, ['shape:circle', 'shape:square', 'colour:red', 'texture:dots']);
    // With fewer classes, a formerly shared concept can become specific.
    assert.deepEqual(groundTruth(SHAPES_CLASSES.slice(0, 2)).specific[0], [
      'colour:red',
      'texture:checker',
      'part:corner',
    ]);
  });

  it('annotates every image with what it shows', () => {
    const d = generateShapes({ ...small, trainPerClass: 40, conceptDropout: 0.25 });
    const ann = d.annotations.train;
    const split = d.dataset.train;
    let dropped = 0;
    for (let i = 0; i < split.size; i++) {
      const spec = SHAPES_CLASSES[split.labels[i]];
      const row = ann.concepts.subarray(i * K, (i + 1) * K);
      // Shape and colour always; texture and part unless dropped; exactly one position at most.
      assert.equal(row[conceptIndex(`shape:${spec.shape}`)], 1);
      assert.equal(row[conceptIndex(`colour:${spec.colour}`)], 1);
      for (const attr of ['texture', 'part'] as const) {
        const value = spec[attr];
        const idx = conceptIndex(`${attr}:${value}`);
        if (idx >= 0 && row[idx] === 0) dropped++;
      }
      const a = ann.attributes[i];
      assert.equal(VALUES.shape[a.shape], spec.shape);
      assert.ok(row.reduce((s, v) => s + v, 0) >= 2);
    }
    assert.ok(dropped > 0, 'some texture or part is dropped');
    // Positive examples show their concept; negatives never do.
    d.examples.forEach((e, ci) => {
      const negatives = shapesNegatives(d, e.concept);
      assert.ok(negatives.size > 0 && negatives.size < d.random.images.size);
      assert.equal(e.concept, SHAPES_CONCEPTS[ci].name);
    });
    const corner = conceptIndex('part:corner');
    const neg = shapesNegatives(d, 'part:corner');
    let expected = 0;
    for (let i = 0; i < d.random.images.size; i++)
      if (d.random.annotations.concepts[i * K + corner] === 0) expected++;
    assert.equal(neg.size, expected);
  });

  it('draws the parts and colours the annotations name', () => {
    const s = 24;
    const rng = new Rng(1);
    const base = { shape: 0, colour: 0, texture: 0, part: 0, position: 0 };
    const px = (img: Uint8Array, x: number, y: number) =>
      Array.from(img.subarray((y * s + x) * 3, (y * s + x) * 3 + 3));
    const white = (v: number[]) => v.every((c) => c > 200);
    const corner = renderShapeImage({ ...base, part: VALUES.part.indexOf('corner') }, s, rng);
    assert.ok(white(px(corner, 2, 2)));
    const frame = renderShapeImage({ ...base, part: VALUES.part.indexOf('frame') }, s, rng);
    assert.ok(white(px(frame, 0, 10)) && white(px(frame, s - 1, 5)) && white(px(frame, 7, s - 1)));
    const none = renderShapeImage(base, s, rng);
    assert.ok(!white(px(none, 2, 2)) && !white(px(none, 0, 10)));
    // A plain red circle in the centre: the centre pixel is red.
    const [r, g, b] = px(none, s / 2, s / 2);
    assert.ok(r > 150 && g < 100 && b < 100, `centre ${r},${g},${b}`);
    const green = renderShapeImage({ ...base, colour: VALUES.colour.indexOf('green') }, s, rng);
    const [r2, g2] = px(green, s / 2, s / 2);
    assert.ok(g2 > 150 && r2 < 100);
  });
});
