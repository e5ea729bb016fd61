/**
 * Verification metrics on hand-built models and tiny data: the linear probe, relearning time, concept
 * residue and the summary over seeds.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { ConceptBank } from '../../native/concepts/conceptBank';
import type { ImageSplit } from '../../native/data/types';
import { initBackend } from '../../native/engine/backend/select';
import { Rng } from '../../native/engine/random';
import { tf } from '../../native/engine/tf';
import { Classifier } from '../../native/models/classifier';
import { CNN_ARCHS, buildCnn } from '../../native/models/cnn';
import { wholeSplit } from '../../native/training/samples';
import { Trainer } from '../../native/training/trainer';
import { makeTask } from '../../native/unlearning/task';
import {
  conceptResidue,
  linearProbe,
  probeForgetAccuracy,
  relearnEpochs,
  seedSummary,
} from '../../native/verification';
import { barsDataset } from '../helpers/tinyData';

/**
 * image (8x8x1) -> flatten -> dense 'embedding' (given kernel [64, d] and bias, linear) -> dense 'logits'.
 */
function denseModel(kernel: Float32Array, bias: Float32Array, d: number, classes: number): Classifier {
  const input = tf.input({ shape: [8, 8, 1] });
  const flat = tf.layers.flatten().apply(input) as tf.SymbolicTensor;
  const embLayer = tf.layers.dense({ units: d, name: 'embedding' });
  const emb = embLayer.apply(flat) as tf.SymbolicTensor;
  const head = tf.layers.dense({ units: classes, name: 'logits', kernelInitializer: 'zeros' });
  const out = head.apply(emb) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  embLayer.setWeights([tf.tensor2d(kernel, [64, d]), tf.tensor1d(bias)]);
  return new Classifier(model);
}

/** Embedding = the mean brightness of each of the 8 rows (the bars dataset's class is the bright row). */
function rowMeans(): Classifier {
  const k = new Float32Array(64 * 8);
  for (let r = 0; r < 8; r++) for (let c = 0; c < 8; c++) k[(r * 8 + c) * 8 + r] = 1 / 8;
  return denseModel(k, new Float32Array(8), 8, 4);
}

describe('verification metrics', () => {
  const ds = barsDataset(4, 1);

  before(async () => {
    await initBackend();
  });

  it('the probe decodes a class the embedding separates, and not from a constant embedding', () => {
    const separating = rowMeans();
    const r = linearProbe(separating, ds, 2, 1, { perClass: 50 });
    assert.ok(r.forgetAccuracy > 0.95, `separating: ${r.forgetAccuracy}`);
    assert.ok(r.retainAccuracy > 0.95);
    assert.equal(r.trainSamples, 200);
    assert.equal(r.forgetTestSamples, 30);
    assert.equal(r.chance, 0.25);
    assert.equal(probeForgetAccuracy(separating, ds, 2, 1, { perClass: 50 }), r.forgetAccuracy);
    const constant = denseModel(new Float32Array(64 * 8), new Float32Array(8).fill(1), 8, 4);
    for (const f of [0, 2]) {
      const c = linearProbe(constant, ds, f, 1, { perClass: 50 });
      assert.ok(c.forgetAccuracy <= 0.25, `constant, forget ${f}: ${c.forgetAccuracy}`);
    }
    separating.dispose();
    constant.dispose();
  });

  it('relearning: 0 epochs for a model that knows the class, a bounded count for one that never learnt it', async () => {
    const task = makeTask(ds, 2, { arch: 'cnn-ref', epochs: 1, batchSize: 32, lr: 3e-3, lrDecay: 1 });
    const knows = new Classifier(buildCnn(CNN_ARCHS['cnn-ref'], [8, 8, 1], 4, 1));
    const t1 = new Trainer(knows, { lr: 3e-3, batchSize: 32 });
    await t1.fit([wholeSplit(ds.train)], new Rng(1), { epochs: 4 });
    t1.dispose();
    const k = await relearnEpochs(knows, task, ds, { fraction: 0.05, maxEpochs: 5, seed: 1 });
    assert.equal(k.epochs, 0);
    assert.deepEqual(k.accuracies.length, 1);

    const never = new Classifier(buildCnn(CNN_ARCHS['cnn-ref'], [8, 8, 1], 4, 2));
    const t2 = new Trainer(never, { lr: 3e-3, batchSize: 32 });
    await t2.fit([task.retain], new Rng(2), { epochs: 4 });
    t2.dispose();
    const weights = never.model.getWeights().map((w) => w.dataSync().slice());
    const maxEpochs = 40;
    const r = await relearnEpochs(never, task, ds, { fraction: 0.05, maxEpochs, lr: 3e-3, seed: 1 });
    assert.equal(r.forgetSamples, 5);
    assert.equal(r.retainSamples, 5);
    assert.equal(r.accuracies[0], 0);
    assert.ok(r.epochs !== null && r.epochs >= 1 && r.epochs <= maxEpochs, `epochs ${r.epochs}`);
    assert.equal(r.accuracies.length, r.epochs + 1);
    assert.ok(r.accuracies[r.epochs] > 0.5);
    never.model.getWeights().forEach((w, i) => assert.deepEqual(w.dataSync(), weights[i]));
    const capped = await relearnEpochs(never, task, ds, { fraction: 0.05, maxEpochs: 0, seed: 1 });
    assert.equal(capped.epochs, null);
    knows.dispose();
    never.dispose();
  });

  it('concept residue: the mean scores of the selected concepts before and after, checked by hand', () => {
    // Embedding (d = 2): e0 = a * (sum of row 0), e1 = b * (sum of row 1); before a = b = 1, after a = 0.5, b = 2.
    const embed = (a: number, b: number) => {
      const k = new Float32Array(64 * 2);
      for (let c = 0; c < 8; c++) {
        k[c * 2] = a;
        k[(8 + c) * 2 + 1] = b;
      }
      return denseModel(k, new Float32Array(2), 2, 2);
    };
    const beforeModel = embed(1, 1);
    const afterModel = embed(0.5, 2);
    const cav = (w: number[], bias: number) => ({
      weights: Float32Array.from(w),
      bias,
      norm: Math.hypot(...w),
      heldoutAccuracy: 1,
      trainAccuracy: 1,
      lambda: 0,
      numPositives: 2,
      numNegatives: 2,
    });
    const bank: ConceptBank = {
      embeddingLayer: 'embedding',
      dim: 2,
      minAccuracy: 0.6,
      dropped: [],
      concepts: [
        { name: 'row0', source: 'examples', cav: cav([2, 0], -2) }, // score = (2 e0 - 2) / 2 = e0 - 1
        { name: 'row1', source: 'examples', cav: cav([0, 1], 0) }, // score = e1
      ],
    };
    // Two images: row 0 holds 1s (sum 8) in image 0 and 2s (sum 16) in image 1; row 1 holds 3s (sum 24).
    const px = new Uint8Array(2 * 64);
    for (let c = 0; c < 8; c++) {
      px[c] = 1;
      px[64 + c] = 2;
      px[8 + c] = 3;
      px[64 + 8 + c] = 3;
    }
    const images: ImageSplit = { pixels: px, labels: new Int32Array([0, 0]), size: 2 };
    // Pixels are read as value / 255.
    const s = 1 / 255;
    const r = conceptResidue(beforeModel, afterModel, bank, ['row0', 'row1'], images);
    const row0Before = (8 * s - 1 + (16 * s - 1)) / 2;
    const row0After = (0.5 * 8 * s - 1 + (0.5 * 16 * s - 1)) / 2;
    const row1Before = 24 * s;
    const row1After = 2 * 24 * s;
    const near = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-5, `${a} vs ${b}`);
    near(r.concepts[0].before, row0Before);
    near(r.concepts[0].after, row0After);
    assert.equal(r.concepts[0].ratio, null, 'no ratio for a negative score before');
    near(r.concepts[1].before, row1Before);
    near(r.concepts[1].after, row1After);
    near(r.concepts[1].ratio!, 2);
    near(r.meanBefore, (row0Before + row1Before) / 2);
    near(r.meanAfter, (row0After + row1After) / 2);
    assert.equal(r.residue, null, 'the mean before is negative here');
    const one = conceptResidue(beforeModel, afterModel, bank, ['row1'], images);
    near(one.residue!, 2);
    assert.throws(() => conceptResidue(beforeModel, afterModel, bank, ['nope'], images), /not in the bank/);
    beforeModel.dispose();
    afterModel.dispose();
  });

  it('summarises metrics over seeds: mean, sample std, skipping missing values', () => {
    const s = seedSummary([
      { forget_test_acc: 0, retain_test_acc: 0.98, relearn_epochs: 3, per_class_test_acc: [1] },
      { forget_test_acc: 0.02, retain_test_acc: 0.97, relearn_epochs: null },
      { forget_test_acc: 0.01, retain_test_acc: 0.99, relearn_epochs: 5 },
    ]);
    assert.ok(Math.abs(s.forget_test_acc.mean - 0.01) < 1e-12);
    assert.ok(Math.abs(s.forget_test_acc.std - 0.01) < 1e-12);
    assert.equal(s.retain_test_acc.n, 3);
    assert.deepEqual(s.relearn_epochs, { mean: 4, std: Math.SQRT2, n: 2 });
    assert.equal(s.mia_forget_rate, undefined);
    assert.equal(s.per_class_test_acc, undefined);
    assert.deepEqual(seedSummary([{ x: 2 }], ['x']), { x: { mean: 2, std: 0, n: 1 } });
  });
});
