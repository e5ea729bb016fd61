/**
 * The demo's concept stage on the quick shapes configuration (24x24, 200 training images per class, cnn-ref
 * 10 epochs, seed 1): for every class as the forget class the selected concepts are in the ground truth
 * (precision@k >= 0.8), the PCBM is within 3 points of the model, and the stage's report has its fields and
 * PNGs. The measured numbers are printed as test diagnostics.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { precisionAtK } from '../../native/concepts/conceptSelection';
import {
  type ConceptAnalysis,
  analyseConcepts,
  runConceptStage,
  selectForForget,
} from '../../native/demo/conceptStage';
import { type DemoData, loadDemoData } from '../../native/demo/datasets';
import { obtainOriginal } from '../../native/demo/originalModel';
import { initBackend } from '../../native/engine/backend/select';
import { tf } from '../../native/engine/tf';
import type { Classifier } from '../../native/models/classifier';

const SEED = 1;
let tmp = '';
let data: DemoData;
let model: Classifier;
let analysis: ConceptAnalysis;

describe('demo concept stage on shapes (quick configuration)', () => {
  before(async () => {
    await initBackend();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'unlearn-concept-stage-'));
    data = loadDemoData('shapes', { quick: true, seed: SEED });
    const original = await obtainOriginal(data.dataset, data.recipe, SEED, path.join(tmp, 'cache'), () => {});
    model = original.classifier;
    analysis = await analyseConcepts(model, data.dataset, { seed: SEED, quick: true, shapes: data.shapes });
  });
  after(() => {
    model?.dispose();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('selects only ground-truth concepts for every forget class (precision@k >= 0.8)', (t) => {
    const { dataset, shapes } = data;
    assert.ok(shapes);
    assert.equal(analysis.source, 'ground-truth');
    t.diagnostic(
      `bank: ${analysis.bank.concepts.length} kept, dropped ${analysis.bank.dropped.map((d) => d.name).join(', ') || '-'}`,
    );
    const precisions: number[] = [];
    for (let f = 0; f < dataset.classNames.length; f++) {
      const sel = selectForForget(analysis, f);
      assert.ok(sel);
      const truth = shapes.groundTruth.specific[f];
      const p = precisionAtK(sel.selected, truth);
      precisions.push(p);
      t.diagnostic(
        `forget ${f} ${dataset.classNames[f]}: selected [${sel.selected.join(', ')}] precision ${p.toFixed(2)} (truth ${truth.join(', ')}); donor ${dataset.classNames[sel.donor.class]}`,
      );
      assert.ok(sel.selected.length >= 1 && sel.selected.length <= 5, `class ${f}: ${sel.selected.length}`);
      assert.ok(p >= 0.8, `forget class ${f}: precision ${p} [${sel.selected.join(', ')}]`);
      assert.ok(sel.donor.class >= 0 && sel.donor.class !== f);
    }
    t.diagnostic(
      `mean precision@k ${(precisions.reduce((a, b) => a + b, 0) / precisions.length).toFixed(3)}`,
    );
  });

  it('fits a PCBM within 3 points of the model', (t) => {
    const r = analysis.pcbmReport;
    assert.ok(r);
    t.diagnostic(
      `model ${r.modelAccuracy.toFixed(3)}, PCBM ${r.accuracy.toFixed(3)}, fidelity ${r.fidelity.toFixed(3)}, ${r.nonZero} non-zero`,
    );
    assert.ok(r.modelAccuracy > 0.85, `model accuracy ${r.modelAccuracy}`);
    assert.ok(
      Math.abs(r.accuracy - r.modelAccuracy) <= 0.03,
      `PCBM ${r.accuracy} vs model ${r.modelAccuracy}`,
    );
    assert.ok(r.fidelity >= 0.9, `fidelity ${r.fidelity}`);
  });

  it('reports the forget class: top concepts, donor, IG completeness, CAVs, precision and localisation PNGs', async (t) => {
    const out = path.join(tmp, 'out');
    const tensors = tf.memory().numTensors;
    const { report: c, analysis: a } = await runConceptStage(model, data.dataset, 4, {
      seed: SEED,
      quick: true,
      shapes: data.shapes,
      outDir: out,
    });
    assert.equal(tf.memory().numTensors, tensors, 'no tensors left behind');
    t.diagnostic(
      `magenta-triangle: ${c.forget_class_top
        .slice(0, 4)
        .map((r) => `${r.name} ${r.importance.toFixed(3)}`)
        .join(', ')}; IG gap ${c.ig_completeness_max.toExponential(2)}; ${c.seconds} s`,
    );
    assert.equal(c.source, 'ground-truth');
    assert.equal(a.bank.concepts.length, c.concepts);
    assert.ok(c.pcbm && c.pcbm.accuracy > 0.8 && c.pcbm.nonzero > 0);
    assert.ok(c.forget_class_top.length > 0 && c.forget_class_top.length <= 8);
    for (const r of c.forget_class_top) {
      assert.equal(typeof r.name, 'string');
      assert.equal(typeof r.importance, 'number');
      assert.equal(typeof r.specificity, 'number');
      assert.equal(typeof r.shared, 'boolean');
      assert.equal(typeof r.pcbm_weight, 'number');
      assert.equal(typeof r.ig_importance, 'number');
    }
    assert.ok(c.selected.length >= 1);
    assert.ok(c.forget_class_top.filter((r) => r.selected).every((r) => c.selected.includes(r.name)));
    assert.ok(c.donor_class && c.donor_class.index !== 4);
    assert.deepEqual(c.ground_truth_specific, ['shape:triangle', 'colour:magenta']);
    assert.ok((c.ground_truth_precision_at_k ?? 0) >= 0.8);
    assert.ok(c.ig_completeness_max >= 0 && c.ig_completeness_max < 0.05, `gap ${c.ig_completeness_max}`);
    assert.ok(c.ig.pixel_images > 0 && c.ig.pixel_max_gap !== null);
    assert.equal(c.cav_heldout.length + c.dropped.length, 19);
    assert.ok(c.cav_heldout.every((v) => v.accuracy >= 0.6));
    assert.ok(c.images.length > 0);
    for (const f of c.images) assert.ok(fs.existsSync(path.join(out, f)), f);
  });
});
