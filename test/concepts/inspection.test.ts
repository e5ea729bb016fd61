/**
 * The app's view of a class's concepts on a small trained model (the 4-class bars): the ranking and the
 * selection for every k, the shared concepts, a stored PCBM used as is; each concept's examples by NMF maps
 * or, without factors, by Integrated Gradients; the NMF factors' JSON.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import sharp from 'sharp';
import { conceptBankFromJson, conceptBankToJson } from '../../native/concepts/conceptBank';
import { conceptExamples } from '../../native/concepts/conceptExamples';
import { inspectConcepts } from '../../native/concepts/inspection';
import { type NmfDiscovery, discoverConcepts } from '../../native/concepts/nmfDiscovery';
import { nmfFactorsFromJson, nmfFactorsToJson } from '../../native/concepts/nmfFactors';
import { selectWhere } from '../../native/data/splits';
import { initBackend } from '../../native/engine/backend/select';
import { Rng } from '../../native/engine/random';
import { UserError } from '../../native/errors';
import { Classifier } from '../../native/models/classifier';
import { CNN_ARCHS, buildCnn } from '../../native/models/cnn';
import { wholeSplit } from '../../native/training/samples';
import { Trainer } from '../../native/training/trainer';
import { barsDataset } from '../helpers/tinyData';

const RULE = { sharedRatio: 0.5, minShare: 0.05, minRelative: 0 };

describe('concept inspection for the app', () => {
  const ds = barsDataset(4, 3);
  let model: Classifier;
  let discovery: NmfDiscovery;

  before(async () => {
    await initBackend();
    model = new Classifier(buildCnn(CNN_ARCHS['cnn-ref'], ds.shape, 4, 5));
    const t = new Trainer(model, { lr: 3e-3, batchSize: 32 });
    await t.fit([wholeSplit(ds.train)], new Rng(1), { epochs: 3 });
    t.dispose();
    discovery = await discoverConcepts(model, ds.train, { concepts: 6, maxImages: 120, seed: 1 });
    assert.ok(discovery.bank.concepts.length >= 2);
  });

  it('ranks by importance, selects a prefix for every k, flags shared concepts with their classes', () => {
    const ins = inspectConcepts(model, ds, discovery.bank, null, 1, { rule: RULE, seed: 1 });
    assert.equal(ins.pcbmFitted, true);
    const n = discovery.bank.concepts.length;
    assert.equal(ins.rows.length, n);
    assert.ok(ins.rows.every((r, i) => i === 0 || r.importance <= ins.rows[i - 1].importance));
    const names = discovery.bank.concepts.map((c) => c.name);
    for (const r of ins.rows) {
      const j = names.indexOf(r.concept);
      assert.equal(r.importance, ins.importance.importance[1 * n + j]);
      assert.equal(r.shared, r.sharedWith.length > 0);
      for (const s of r.sharedWith) {
        assert.notEqual(s.index, 1);
        assert.ok(s.importance >= RULE.sharedRatio * r.importance);
      }
    }
    for (const name of ins.ordered) {
      const r = ins.rows.find((x) => x.concept === name);
      assert.ok(r && !r.shared && r.specificity > 0, name);
    }
    assert.ok(ins.donor.class >= 0 && ins.donor.class !== 1);
    const candidate = ins.rows.some((r) => r.importance > 0 && r.specificity > 0);
    assert.equal(ins.fallback === null, ins.ordered.length > 0 || !candidate);
    // The stored PCBM gives the same inspection without a new fit.
    const again = inspectConcepts(model, ds, discovery.bank, ins.pcbm, 1, { rule: RULE, seed: 1 });
    assert.equal(again.pcbmFitted, false);
    assert.deepEqual(again.rows, ins.rows);
    // A PCBM of another shape is not used.
    const other = inspectConcepts(model, ds, discovery.bank, { ...ins.pcbm, numClasses: 3 }, 1, {
      rule: RULE,
      seed: 1,
    });
    assert.equal(other.pcbmFitted, true);
  });

  it('draws each concept with its NMF maps, or with Integrated Gradients without factors', async () => {
    const own = selectWhere(ds.train, (l) => l === 2);
    const nmf = await conceptExamples(model, discovery.bank, discovery, own);
    assert.equal(nmf.mapsBy, 'nmf');
    const stored = conceptBankFromJson(JSON.parse(JSON.stringify(conceptBankToJson(discovery.bank))));
    const ig = await conceptExamples(model, stored, undefined, own, { perConcept: 2, igSteps: 8 });
    assert.equal(ig.mapsBy, 'integrated-gradients');
    for (const [set, count] of [
      [nmf, 3],
      [ig, 2],
    ] as const) {
      assert.deepEqual(
        set.examples.map((e) => e.concept),
        discovery.bank.concepts.map((c) => c.name),
      );
      for (const e of set.examples) {
        assert.equal(e.maps.length, count);
        assert.equal(e.patches.length, count);
      }
      const meta = await sharp(set.examples[0].maps[0]).metadata();
      assert.deepEqual([meta.format, meta.width], ['png', 88]);
    }
    const none = await conceptExamples(
      model,
      discovery.bank,
      discovery,
      selectWhere(ds.train, () => false),
    );
    assert.ok(none.examples.every((e) => e.maps.length === 0 && e.patches.length === 0));
  });

  it('keeps the NMF factors as JSON and refuses damaged ones', () => {
    const json = JSON.parse(JSON.stringify(nmfFactorsToJson(discovery)));
    const back = nmfFactorsFromJson(json);
    assert.ok(back);
    assert.deepEqual(
      [back.layer, back.mapShape, back.channels],
      [discovery.layer, discovery.mapShape, discovery.channels],
    );
    assert.deepEqual(Array.from(back.factors), Array.from(discovery.factors));
    assert.deepEqual(
      back.concepts.map((c) => c.name),
      discovery.concepts.map((c) => c.name),
    );
    assert.equal(nmfFactorsFromJson(undefined), undefined);
    for (const bad of [
      { ...json, factors: json.factors.slice(1) },
      { ...json, channels: 0 },
      { ...json, factors: json.factors.map((v: number, i: number) => (i === 0 ? -1 : v)) },
      { ...json, concepts: [] },
    ]) {
      assert.throws(() => nmfFactorsFromJson(bad), UserError);
    }
  });
});
