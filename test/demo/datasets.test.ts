import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SHAPES_CLASSES, VALUES, classAttributes, generateShapes } from '../../native/data/shapes';
import { SHAPES_DEMO, SHAPES_QUICK, loadDemoData } from '../../native/demo/datasets';
import { UserError } from '../../native/errors';

const tiny = {
  size: 16,
  trainPerClass: 60,
  testPerClass: 2,
  heldoutPerClass: 2,
  examplesPerConcept: 2,
  randomImages: 4,
  seed: 5,
};

describe('demo datasets', () => {
  it('shapes: colour and shape dropout redraw a share of the class images, annotations follow', () => {
    const plain = generateShapes(tiny);
    // Off by default: the data of earlier versions, byte for byte.
    assert.deepEqual(
      generateShapes({ ...tiny, colourDropout: 0, shapeDropout: 0 }).dataset.train,
      plain.dataset.train,
    );
    const d = generateShapes({ ...tiny, colourDropout: 0.3, shapeDropout: 0.3 });
    const n = d.dataset.train.size;
    let otherColour = 0;
    let otherShape = 0;
    d.annotations.train.attributes.forEach((a, i) => {
      const cls = classAttributes(SHAPES_CLASSES[d.dataset.train.labels[i]]);
      if (a.colour !== cls.colour) otherColour++;
      if (a.shape !== cls.shape) otherShape++;
      assert.ok(a.colour >= 0 && a.colour < VALUES.colour.length);
      assert.ok(a.shape >= 0 && a.shape < VALUES.shape.length);
    });
    assert.ok(otherColour / n > 0.2 && otherColour / n < 0.4, `${otherColour} of ${n}`);
    assert.ok(otherShape / n > 0.2 && otherShape / n < 0.4, `${otherShape} of ${n}`);
    // The ground truth comes from the class table, whatever the dropout.
    assert.deepEqual(d.groundTruth, plain.groundTruth);
    assert.throws(() => generateShapes({ ...tiny, colourDropout: 1 }), UserError);
    assert.throws(() => generateShapes({ ...tiny, shapeDropout: -0.1 }), UserError);
  });

  it('loads the demo configurations, limits shrinking shapes per class', () => {
    assert.equal(SHAPES_QUICK.size, SHAPES_DEMO.size);
    const small = loadDemoData('shapes', { quick: true, seed: 2, limits: { train: 120, test: 60 } });
    assert.equal(small.dataset.name, 'shapes');
    assert.deepEqual(small.dataset.shape, [24, 24, 3]);
    assert.equal(small.dataset.train.size, 120);
    assert.equal(small.dataset.test.size, 60);
    assert.equal(small.dataset.heldout.size, 30);
    assert.equal(small.shapesOptions?.seed, 2);
    assert.equal(small.recipe.arch, 'cnn-ref');
    assert.ok(small.shapes);
    assert.equal(small.shapes.examples.length, 19);
    assert.throws(
      () => loadDemoData('foo', { quick: true, seed: 1 }),
      (e: unknown) =>
        e instanceof UserError && /--dataset must be mnist or shapes, got 'foo'/.test(e.message),
    );
  });
});
