/**
 * concept_random and concept_targeted on small configurations: a MNIST slice (NMF concepts discovered on
 * the original) and `shapes` (ground-truth concept sets carried by the task).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { groundTruthConceptSets } from '../../native/concepts/groundTruthConcepts';
import { type ShapesData, generateShapes } from '../../native/data/shapes';
import { initBackend } from '../../native/engine/backend/select';
import { Rng } from '../../native/engine/random';
import { CancelledError, UserError } from '../../native/errors';
import { perClassAccuracy, predictions } from '../../native/metrics/accuracy';
import { Classifier } from '../../native/models/classifier';
import { CNN_ARCHS, buildCnn } from '../../native/models/cnn';
import type { ArchSpec } from '../../native/models/spec';
import { trainFromScratch } from '../../native/training/fromScratch';
import { wholeSplit } from '../../native/training/samples';
import { Trainer } from '../../native/training/trainer';
import { evaluate } from '../../native/unlearning/evaluate';
import {
  conceptStage,
  poisonStage,
  runConceptPoisoning,
} from '../../native/unlearning/methods/conceptPoisoning';
import {
  BASELINE_METHODS,
  CONCEPT_METHODS,
  allMethods,
  methodByName,
} from '../../native/unlearning/registry';
import { makeTask } from '../../native/unlearning/task';
import type { MethodProgress } from '../../native/unlearning/types';
import { tinyMnist } from '../helpers/tinyData';

const recipe: ArchSpec = { arch: 'cnn-ref', epochs: 2, batchSize: 32, lr: 3e-3, lrDecay: 0.5 };
/** A cheaper concept stage and a short fine-tuning, for the runs that check plumbing only. */
const CHEAP = { concept_images: 10, nmf_images: 60, nmf_iterations: 30, min_steps: 10, epochs: 1 };

describe('concept poisoning methods on a small MNIST slice', () => {
  let original: Classifier;
  const ds = tinyMnist();

  before(async () => {
    await initBackend();
    original = new Classifier(buildCnn(CNN_ARCHS['cnn-ref'], [28, 28, 1], 10, 1));
    const t = new Trainer(original, { lr: 3e-3, batchSize: 32 });
    await t.fit([wholeSplit(ds.train)], new Rng(1), { epochs: 3 });
    t.dispose();
  });

  it('registers the two methods next to the five baselines', () => {
    assert.deepEqual(BASELINE_METHODS, ['retrain', 'finetune', 'gradient_ascent', 'random_label', 'salun']);
    assert.deepEqual(CONCEPT_METHODS, ['concept_random', 'concept_targeted']);
    assert.deepEqual(
      allMethods().map((m) => m.name),
      [...BASELINE_METHODS, ...CONCEPT_METHODS],
    );
  });

  for (const [name, relabel] of [
    ['concept_random', 'random'],
    ['concept_targeted', 'targeted'],
  ] as const) {
    it(`${name} returns a new model, leaves the original intact, forgets, and reports what it did`, async (t) => {
      const task = makeTask(ds, 3, recipe);
      const weights = original.model.getWeights().map((w) => w.dataSync().slice());
      const pixels = ds.train.pixels.slice(0, 50000);
      const origEval = evaluate(original, ds, 3, 1);
      const progress: MethodProgress[] = [];
      const { classifier: m, report } = await runConceptPoisoning(
        name,
        methodByName(name).defaults,
        relabel,
        original,
        task,
        {},
        { seed: 2, onProgress: (p) => progress.push(p) },
      );
      assert.notEqual(m.model, original.model);
      original.model.getWeights().forEach((w, i) => assert.deepEqual(w.dataSync(), weights[i]));
      assert.deepEqual(ds.train.pixels.slice(0, 50000), pixels, 'the dataset is untouched');
      const e = evaluate(m, ds, 3, 1);
      t.diagnostic(
        `${name}: forget-test ${e.forget_test_acc.toFixed(3)}, retain-test ${e.retain_test_acc.toFixed(3)} (original ${origEval.retain_test_acc.toFixed(3)}); selected [${report.selected.join(', ')}], donor ${report.donor}, region ${(report.poison.meanArea * 100).toFixed(1)}%, ${report.epochs.toFixed(2)} epochs`,
      );
      assert.ok(origEval.forget_test_acc > 0.8);
      assert.ok(e.forget_test_acc <= 0.05, `forget-test ${e.forget_test_acc}`);
      assert.ok(e.retain_test_acc > origEval.retain_test_acc - 0.05, `retain-test ${e.retain_test_acc}`);
      const stages = [...new Set(progress.map((p) => p.stage))];
      assert.deepEqual(stages, ['concepts', 'poison', 'finetune']);
      assert.ok(progress.every((p) => p.fraction >= 0 && p.fraction <= 1));

      assert.equal(report.bankSource, 'nmf');
      assert.ok(report.selected.length >= 1, 'a concept specific to the digit 3 is poisoned');
      assert.ok(report.donor >= 0 && report.donor !== 3);
      assert.equal(report.poison.mode, 'mask');
      assert.equal(report.poison.relabel, relabel);
      const n = task.forget.indices.length - Math.min(256, Math.floor(task.forget.indices.length / 5));
      assert.equal(report.poison.images, n);
      assert.equal(report.poison.edited, Math.round(n / 2), 'half of the samples are edited by default');
      assert.ok(
        report.poison.meanArea > 0.02 && report.poison.meanArea < 0.6,
        `area ${report.poison.meanArea}`,
      );
      assert.ok(report.poison.changedShare > 0);
      assert.ok(report.epochs > 0 && report.epochs <= 3);
      m.dispose();
    });
  }

  it('the registered methods run through the UnlearningMethod interface', async () => {
    const task = makeTask(ds, 3, recipe);
    const m = await methodByName('concept_targeted').run(original, task, CHEAP, { seed: 1 });
    assert.equal(m.info.numClasses, 10);
    assert.notEqual(m.model, original.model);
    m.dispose();
  });

  it('honours the concepts and donor options over the selection, and refuses bad ones', async () => {
    const task = makeTask(ds, 3, recipe);
    const stageOptions = {
      k: 5,
      sharedRatio: 0.5,
      nmfConcepts: 8,
      nmfIterations: 30,
      nmfImages: 60,
      nmfFocus: 0.8,
      imagesPerClass: 10,
      seed: 1,
    };
    const auto = await conceptStage(original, task, stageOptions);
    assert.equal(auto.conceptsChosenBy === 'option' || auto.donorChosenBy === 'option', false);
    const names = auto.bank.concepts.map((c) => c.name);
    // Concepts the selection did not pick, and the retained class least like the forget class.
    const chosen = names.filter((n) => !auto.concepts.includes(n)).slice(0, 2);
    assert.ok(chosen.length >= 1, `bank ${names.join(', ')}, selected ${auto.concepts.join(', ')}`);
    const sims = auto.selection.donor.similarities;
    const donor = sims.reduce((best, v, c) => (c !== 3 && (best < 0 || v < sims[best]) ? c : best), -1);
    assert.notEqual(donor, auto.selection.donor.class);
    const withBank = { ...task, concepts: { bank: auto.bank, discovery: auto.discovery } };

    const { classifier, report } = await runConceptPoisoning(
      'concept_targeted',
      methodByName('concept_targeted').defaults,
      'targeted',
      original,
      withBank,
      { ...CHEAP, concepts: ` ${chosen.join(' , ')} `, donor, concept_bank: 7 },
      { seed: 1 },
    );
    classifier.dispose();
    assert.equal(report.bankSource, 'task');
    assert.deepEqual(report.selected, chosen);
    assert.deepEqual(report.poison.concepts, chosen, 'the regions come from the chosen concepts');
    assert.equal(report.conceptsChosenBy, 'option');
    assert.equal(report.donor, donor);
    assert.equal(report.donorSimilarity, sims[donor]);
    assert.equal(report.donorChosenBy, 'option');

    // Targeted relabelling sends every poisoned sample to the chosen donor.
    const stage = await conceptStage(original, withBank, { ...stageOptions, concepts: chosen, donor });
    const poisoned = poisonStage(original, withBank, stage, task.forget, {
      mode: 'mask',
      fill: 'mean',
      relabel: 'targeted',
      topFraction: 0.1,
      dilate: 1,
      editShare: 0.5,
      localize: 'auto',
      igSteps: 8,
      seed: 1,
    });
    assert.ok(poisoned.set.targets.length > 0);
    assert.ok(poisoned.set.targets.every((t) => t === donor));

    const refused = async (options: Record<string, number | string>, pattern: RegExp) =>
      assert.rejects(
        runConceptPoisoning(
          'concept_targeted',
          methodByName('concept_targeted').defaults,
          'targeted',
          original,
          options.concept_bank === 7 ? task : withBank,
          { ...CHEAP, ...options },
          { seed: 1 },
        ),
        (e: Error) => e instanceof UserError && pattern.test(e.message),
        JSON.stringify(options),
      );
    await refused({ concepts: 'no-such-concept' }, /concept 'no-such-concept' is not in the concept bank/);
    await refused({ concepts: `${chosen[0]},${chosen[0]}` }, /is listed twice/);
    await refused({ donor: 3 }, /donor class 3 is the class being forgotten/);
    await refused({ donor: 10 }, /donor class 10 is not a class of the model/);
    await refused({ donor: 1.5 }, /donor class 1.5 is not a class/);
    await refused({ concept_bank: 7 }, /concept bank 7 was not loaded/);
  });

  it('can be cancelled in every stage, and rejects unknown or bad options', async () => {
    const task = makeTask(ds, 3, recipe);
    for (const name of CONCEPT_METHODS) {
      for (const stage of ['concepts', 'poison', 'finetune']) {
        const ctl = new AbortController();
        await assert.rejects(
          methodByName(name).run(original, task, CHEAP, {
            seed: 1,
            signal: ctl.signal,
            onProgress: (p) => {
              if (p.stage === stage) ctl.abort();
            },
          }),
          CancelledError,
          `${name} at ${stage}`,
        );
      }
      await assert.rejects(
        methodByName(name).run(original, task, { bogus: 1 }, { seed: 1 }),
        /has no option 'bogus'/,
      );
      await assert.rejects(
        methodByName(name).run(original, task, { mode: 'smudge' }, { seed: 1 }),
        (e: Error) => e instanceof UserError && /mode .* must be mask, patch or none/.test(e.message),
      );
      await assert.rejects(
        methodByName(name).run(original, task, { ...CHEAP, prior_shift: -1 }, { seed: 1 }),
        (e: Error) => e instanceof UserError && /prior_shift .* must be 0 or more/.test(e.message),
      );
    }
  });
});

describe('concept poisoning on shapes: a class whose concepts are partly shared', () => {
  let data: ShapesData;
  let original: Classifier;

  before(async () => {
    await initBackend();
    data = generateShapes({
      size: 24,
      trainPerClass: 100,
      testPerClass: 200,
      heldoutPerClass: 10,
      examplesPerConcept: 40,
      randomImages: 200,
      seed: 1,
    });
    const ds = data.dataset;
    original = await trainFromScratch(
      { arch: 'cnn-ref', epochs: 8, batchSize: 32, lr: 3e-3, lrDecay: 0.8 },
      [wholeSplit(ds.train)],
      { shape: ds.shape, numClasses: ds.classNames.length, seed: 3 },
    );
  });

  for (const [name, relabel] of [
    ['concept_targeted', 'targeted'],
    ['concept_random', 'random'],
  ] as const) {
    it(`${name}: forgetting red-checker-circle (circle and red shared) keeps every other class within 1 point`, async (t) => {
      const ds = data.dataset;
      const k = ds.classNames.length;
      const task = { ...makeTask(ds, 0, recipe), concepts: { exampleSets: groundTruthConceptSets(data) } };
      const before = perClassAccuracy(predictions(original.predictProbs(ds.test), k), ds.test.labels, k);
      const { classifier, report } = await runConceptPoisoning(
        name,
        methodByName(name).defaults,
        relabel,
        original,
        task,
        {},
        { seed: 1 },
      );
      const after = perClassAccuracy(predictions(classifier.predictProbs(ds.test), k), ds.test.labels, k);
      t.diagnostic(
        `${name}: selected [${report.selected.join(', ')}], donor ${ds.classNames[report.donor]}, region ${(report.poison.meanArea * 100).toFixed(1)}% of the image; per-class test accuracy before ${before.map((a) => a?.toFixed(3)).join(' ')}, after ${after.map((a) => a?.toFixed(3)).join(' ')}; ${report.epochs.toFixed(2)} epochs, ${(report.seconds.concepts + report.seconds.poison + report.seconds.finetune).toFixed(1)} s`,
      );
      assert.equal(report.bankSource, 'examples');
      assert.ok(report.selected.length >= 1);
      assert.ok(after[0]! <= 0.05, `forget class accuracy ${after[0]}`);
      for (let c = 1; c < k; c++) {
        assert.ok(after[c]! >= before[c]! - 0.01, `class ${ds.classNames[c]}: ${before[c]} -> ${after[c]}`);
      }
      classifier.dispose();
    });
  }
});
