/**
 * End to end on a tiny `shapes` configuration (24x24, 6 classes, 100 training images per class) with a
 * trained cnn-ref: ground-truth concept bank, PCBM, class-to-concept importance, selection for every
 * forget class scored against the ground truth, localisation, NMF discovery with its PNGs, and concept
 * folders. The measured numbers are printed as test diagnostics.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { type ConceptBank, buildConceptBank, scoreImages } from '../../native/concepts/conceptBank';
import { loadConceptFolders } from '../../native/concepts/conceptFolders';
import { conceptImportance, importanceTable, localizeConcept } from '../../native/concepts/conceptImportance';
import {
  classScoreProfiles,
  confusionCounts,
  precisionAtK,
  selectConcepts,
} from '../../native/concepts/conceptSelection';
import { groundTruthConceptSets } from '../../native/concepts/groundTruthConcepts';
import { discoverConcepts, discoveredMaps } from '../../native/concepts/nmfDiscovery';
import { evaluatePcbm, fitPcbm } from '../../native/concepts/pcbm';
import { type ShapesData, generateShapes } from '../../native/data/shapes';
import { selectIndices } from '../../native/data/splits';
import type { ImageSplit } from '../../native/data/types';
import { initBackend } from '../../native/engine/backend/select';
import { tf } from '../../native/engine/tf';
import { UserError } from '../../native/errors';
import { accuracy, predictions } from '../../native/metrics/accuracy';
import type { Classifier } from '../../native/models/classifier';
import { trainFromScratch } from '../../native/training/fromScratch';
import { wholeSplit } from '../../native/training/samples';

const SIZE = 24;
let data: ShapesData;
let model: Classifier;
let bank: ConceptBank;
let modelPred: Int32Array;
let tmp = '';

function userError(pattern: RegExp): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
    assert.ok(!err.message.includes('\n'), `message is not one line: ${err.message}`);
    assert.match(err.message, pattern);
    return true;
  };
}

async function writePngs(split: ImageSplit, count: number, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const stride = SIZE * SIZE * 3;
  for (let i = 0; i < Math.min(count, split.size); i++) {
    const px = Buffer.from(split.pixels.subarray(i * stride, (i + 1) * stride));
    await sharp(px, { raw: { width: SIZE, height: SIZE, channels: 3 } })
      .png()
      .toFile(join(dir, `${i}.png`));
  }
}

describe('concepts on shapes with a trained cnn-ref', () => {
  before(async () => {
    await initBackend();
    tmp = mkdtempSync(join(tmpdir(), 'unlearn-concepts-'));
    data = generateShapes({
      size: SIZE,
      trainPerClass: 100,
      testPerClass: 40,
      heldoutPerClass: 10,
      examplesPerConcept: 60,
      randomImages: 300,
      seed: 1,
    });
    const ds = data.dataset;
    model = await trainFromScratch(
      { arch: 'cnn-ref', epochs: 8, batchSize: 32, lr: 3e-3, lrDecay: 0.8 },
      [wholeSplit(ds.train)],
      { shape: ds.shape, numClasses: ds.classNames.length, seed: 3 },
    );
    modelPred = predictions(model.predictProbs(ds.test), ds.classNames.length);
    bank = buildConceptBank(model, groundTruthConceptSets(data));
  });
  after(() => {
    model?.dispose();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('builds the ground-truth bank: salient concepts kept, near-chance ones dropped', (t) => {
    const kept = bank.concepts.map((c) => c.name);
    t.diagnostic(
      `kept ${kept.length}/${data.concepts.length}: ${bank.concepts.map((c) => `${c.name} ${c.cav.heldoutAccuracy.toFixed(2)}`).join(', ')}`,
    );
    t.diagnostic(
      `dropped: ${bank.dropped.map((d) => `${d.name} ${d.heldoutAccuracy.toFixed(2)}`).join(', ')}`,
    );
    assert.equal(bank.embeddingLayer, 'embedding');
    assert.equal(bank.concepts.length + bank.dropped.length, data.concepts.length);
    for (const name of [
      'colour:green',
      'colour:cyan',
      'part:corner',
      'part:frame',
      'part:bar',
      'part:side',
    ]) {
      assert.ok(kept.includes(name), `${name} kept`);
    }
    assert.ok(bank.concepts.every((c) => c.cav.heldoutAccuracy >= 0.6 && c.source === 'ground-truth'));
    assert.ok(bank.dropped.every((d) => d.heldoutAccuracy < 0.6));
  });

  it('fits a PCBM whose accuracy is close to the model and agrees with it', (t) => {
    const ds = data.dataset;
    const k = ds.classNames.length;
    const pcbm = fitPcbm(scoreImages(model, bank, ds.train), ds.train.labels, bank.concepts.length, k);
    const report = evaluatePcbm(pcbm, scoreImages(model, bank, ds.test), ds.test.labels, modelPred);
    t.diagnostic(
      `model test accuracy ${report.modelAccuracy.toFixed(3)}, PCBM ${report.accuracy.toFixed(3)}, fidelity ${report.fidelity.toFixed(3)}, ${report.nonZero} non-zero weights of ${pcbm.weights.length}`,
    );
    assert.equal(report.modelAccuracy, accuracy(modelPred, ds.test.labels));
    assert.ok(report.modelAccuracy > 0.9, `model accuracy ${report.modelAccuracy}`);
    assert.ok(
      report.accuracy >= report.modelAccuracy - 0.05,
      `PCBM ${report.accuracy} vs ${report.modelAccuracy}`,
    );
    assert.ok(report.fidelity >= 0.9, `fidelity ${report.fidelity}`);
    assert.ok(report.sparsity > 0.3, `sparsity ${report.sparsity}`);
    const table = importanceTable(conceptImportance(model, bank, ds.test), 1, pcbm);
    assert.equal(table.length, bank.concepts.length);
    assert.ok(table.every((r) => typeof r.pcbmWeight === 'number'));
  });

  it('selects concepts specific to each forget class (ground-truth precision@k)', (t) => {
    const ds = data.dataset;
    const k = ds.classNames.length;
    const tensors = tf.memory().numTensors;
    const imp = conceptImportance(model, bank, ds.test);
    assert.equal(tf.memory().numTensors, tensors, 'no tensors left behind');
    assert.ok(imp.maxRelativeGap < 0.01, `IG completeness gap ${imp.maxRelativeGap}`);
    const conf = confusionCounts(ds.test.labels, modelPred, k);
    const profiles = classScoreProfiles(
      scoreImages(model, bank, ds.test),
      ds.test.labels,
      k,
      bank.concepts.length,
    );
    const precisions: number[] = [];
    for (let f = 0; f < k; f++) {
      const sel = selectConcepts(imp, f, { confusion: conf });
      const truth = data.groundTruth.specific[f];
      const p = precisionAtK(sel.selected, truth);
      const rPrecision = precisionAtK(
        sel.bySpecificity.slice(0, truth.length).map((r) => r.concept),
        truth,
      );
      precisions.push(p);
      const byScores = selectConcepts(imp, f, { confusion: conf, profiles }).donor;
      t.diagnostic(
        `forget ${f} ${ds.classNames[f]}: selected [${sel.selected.join(', ')}] precision ${p.toFixed(2)}, R-precision ${rPrecision.toFixed(2)} (truth ${truth.join(', ')}); shared [${sel.shared.join(', ')}]; donor by importance ${sel.donor.class} (cos ${sel.donor.similarity.toFixed(2)}), by scores ${byScores.class} (cos ${byScores.similarity.toFixed(2)})`,
      );
      assert.ok(sel.selected.length >= 1 && sel.selected.length <= 5);
      assert.ok(p >= 0.5, `forget class ${f}: precision ${p}`);
      assert.ok(sel.donor.class >= 0 && sel.donor.class !== f);
    }
    const mean = precisions.reduce((a, b) => a + b, 0) / k;
    t.diagnostic(`mean precision@k ${mean.toFixed(3)}`);
    assert.ok(mean >= 0.75, `mean precision ${mean}`);
  });

  it("localises a part's evidence where the part is drawn (IG of its score w.r.t. pixels)", (t) => {
    const ds = data.dataset;
    const kc = data.concepts.length;
    const corner = data.concepts.findIndex((c) => c.name === 'part:corner');
    const withCorner: number[] = [];
    for (let i = 0; i < ds.test.size && withCorner.length < 8; i++) {
      if (data.annotations.test.concepts[i * kc + corner] === 1) withCorner.push(i);
    }
    const images = selectIndices(ds.test, withCorner);
    const loc = localizeConcept(model, bank, 'part:corner', images);
    const region = Math.max(3, Math.round(SIZE / 8)) + 2; // the mark plus a margin
    let inside = 0;
    let total = 0;
    for (let i = 0; i < images.size; i++) {
      for (let y = 0; y < SIZE; y++) {
        for (let x = 0; x < SIZE; x++) {
          const v = Math.max(0, loc.maps[(i * SIZE + y) * SIZE + x]);
          total += v;
          if (y < region && x < region) inside += v;
        }
      }
    }
    const share = inside / total;
    const area = (region * region) / (SIZE * SIZE);
    t.diagnostic(
      `positive evidence of part:corner in the corner: ${(share * 100).toFixed(1)}% (area ${(area * 100).toFixed(1)}%)`,
    );
    assert.ok(share > 4 * area, `share ${share} vs area ${area}`);
    assert.ok(Math.max(...loc.relativeGap) < 0.05, `gaps ${loc.relativeGap}`);
    assert.throws(() => localizeConcept(model, bank, 'nope', images), userError(/not in the bank/));
  });

  it('discovers concepts by NMF of the last conv layer, with maps and patches saved as PNGs', async (t) => {
    const out = join(tmp, 'nmf');
    const disc = await discoverConcepts(model, data.dataset.train, {
      concepts: 5,
      maxImages: 120,
      iterations: 80,
      outDir: out,
      patchesPerConcept: 3,
      mapsPerConcept: 2,
    });
    t.diagnostic(
      `layer ${disc.layer} ${disc.mapShape.join('x')}: error ${disc.errors[0].toFixed(3)} -> ${disc.errors.at(-1)?.toFixed(3)}; kept ${disc.bank.concepts.map((c) => `${c.name} ${c.cav.heldoutAccuracy.toFixed(2)}`).join(', ')}`,
    );
    assert.equal(disc.layer, 'conv2');
    assert.deepEqual(disc.mapShape, [12, 12]);
    assert.ok(disc.errors.at(-1)! < disc.errors[0]);
    assert.ok(disc.maps.every((v) => v >= 0) && disc.factors.every((v) => v >= 0));
    assert.equal(disc.concepts.length, 5);
    assert.equal(disc.bank.concepts.length + disc.bank.dropped.length, 5);
    assert.ok(disc.bank.concepts.length >= 1);
    assert.ok(disc.bank.concepts.every((c) => c.source === 'nmf'));
    for (const c of disc.concepts) {
      assert.equal(c.files.patches.length, 3);
      assert.equal(c.files.maps.length, 2);
      for (const f of [...c.files.patches, ...c.files.maps]) {
        const meta = await sharp(f).metadata();
        assert.equal(meta.format, 'png');
        assert.ok(meta.width >= 64);
      }
    }
    assert.ok(existsSync(join(out, 'concepts.json')));
    const maps = discoveredMaps(model, disc, selectIndices(data.dataset.test, [0, 1, 2]));
    assert.equal(maps.length, 3 * 12 * 12 * 5);
    assert.ok(maps.every((v) => v >= 0));
  });

  it('builds a bank from concept folders (sharp import), with random or other-concept negatives', async (t) => {
    const dir = join(tmp, 'folders');
    const names = ['part:corner', 'colour:green', 'part:frame'];
    for (const name of names) {
      const ex = data.examples.find((e) => e.concept === name)!;
      await writePngs(ex.positives, 30, join(dir, name.replace(':', '-')));
    }
    writeFileSync(join(dir, 'README.txt'), 'not a concept');
    const sets = await loadConceptFolders(dir, { shape: model.info.inputShape });
    assert.deepEqual(
      sets.map((s) => s.name),
      ['colour-green', 'part-corner', 'part-frame'],
    );
    assert.ok(sets.every((s) => s.positives.size === 30));
    // PNG round trip is lossless at the model's size.
    assert.deepEqual(
      sets[1].positives.pixels.subarray(0, 100),
      data.examples.find((e) => e.concept === 'part:corner')!.positives.pixels.subarray(0, 100),
    );
    const random = buildConceptBank(model, sets, { randomImages: data.dataset.heldout });
    const others = buildConceptBank(model, sets, { negatives: 'others' });
    t.diagnostic(
      `random negatives: ${random.concepts.map((c) => `${c.name} ${c.cav.heldoutAccuracy.toFixed(2)}`).join(', ')}; others: ${others.concepts.map((c) => `${c.name} ${c.cav.heldoutAccuracy.toFixed(2)}`).join(', ')}`,
    );
    for (const b of [random, others]) {
      const corner = b.concepts.find((c) => c.name === 'part-corner');
      assert.ok(corner && corner.cav.heldoutAccuracy >= 0.9, `corner ${corner?.cav.heldoutAccuracy}`);
      assert.ok(b.concepts.every((c) => c.source === 'examples'));
    }
  });

  it('rejects an empty concept folder, a one-image concept and an unknown embedding layer', async () => {
    const shape = model.info.inputShape;
    const empty = join(tmp, 'bad-empty');
    mkdirSync(join(empty, 'stripes'), { recursive: true });
    await writePngs(data.examples[0].positives, 3, join(empty, 'circles'));
    await assert.rejects(
      loadConceptFolders(empty, { shape }),
      userError(/no images in concept folder: .*stripes/),
    );

    const one = join(tmp, 'bad-one');
    await writePngs(data.examples[0].positives, 3, join(one, 'circles'));
    await writePngs(data.examples[1].positives, 1, join(one, 'squares'));
    await assert.rejects(loadConceptFolders(one, { shape }), userError(/concept 'squares' has only 1 image/));

    await assert.rejects(loadConceptFolders(join(tmp, 'missing'), { shape }), userError(/not found/));
    writeFileSync(join(tmp, 'broken.png'), 'not a png');
    const corrupt = join(tmp, 'bad-corrupt');
    await writePngs(data.examples[0].positives, 2, join(corrupt, 'circles'));
    writeFileSync(join(corrupt, 'circles', 'x.png'), 'not a png');
    await assert.rejects(loadConceptFolders(corrupt, { shape }), userError(/corrupt image: .*x\.png/));

    const sets = groundTruthConceptSets(data).slice(0, 2);
    assert.throws(
      () => buildConceptBank(model, sets, { embeddingLayer: 'penultimate' }),
      userError(/embedding layer 'penultimate' does not exist in the model \(layers: .*embedding/),
    );
    const single = [{ name: 'lonely', positives: selectIndices(data.dataset.test, [0]) }];
    assert.throws(
      () => buildConceptBank(model, single, { randomImages: data.dataset.heldout }),
      userError(/concept 'lonely' has only 1 example image/),
    );
    assert.throws(
      () => buildConceptBank(model, [{ name: 'a', positives: selectIndices(data.dataset.test, [0, 1]) }]),
      userError(/random negatives need/),
    );
    await assert.rejects(
      discoverConcepts(model, data.dataset.train, { layer: 'embedding', maxImages: 8 }),
      userError(/no spatial maps/),
    );
  });
});
