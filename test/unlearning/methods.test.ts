import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initBackend } from '../../native/engine/backend/select';
import { Rng } from '../../native/engine/random';
import { CancelledError, UserError } from '../../native/errors';
import { Classifier } from '../../native/models/classifier';
import { CNN_ARCHS, buildCnn } from '../../native/models/cnn';
import type { ArchSpec } from '../../native/models/spec';
import { wholeSplit } from '../../native/training/samples';
import { Trainer } from '../../native/training/trainer';
import { evaluate } from '../../native/unlearning/evaluate';
import { allMethods, methodByName } from '../../native/unlearning/registry';
import { makeTask, resolveClass } from '../../native/unlearning/task';
import { tinyMnist } from '../helpers/tinyData';

const recipe: ArchSpec = { arch: 'cnn-ref', epochs: 2, batchSize: 32, lr: 3e-3, lrDecay: 0.5 };

describe('unlearning methods on a small MNIST slice', () => {
  let original: Classifier;
  const ds = tinyMnist();

  before(async () => {
    await initBackend();
    original = new Classifier(buildCnn(CNN_ARCHS['cnn-ref'], [28, 28, 1], 10, 1));
    const t = new Trainer(original, { lr: 3e-3, batchSize: 32 });
    await t.fit([wholeSplit(ds.train)], new Rng(1), { epochs: 3 });
    t.dispose();
  });

  it('resolves classes by index and name, and rejects unknown ones', () => {
    assert.equal(resolveClass(ds, '3'), 3);
    assert.equal(resolveClass(ds, 7), 7);
    assert.throws(
      () => resolveClass(ds, '12'),
      (e: Error) => e instanceof UserError && /out of range/.test(e.message),
    );
    assert.throws(() => resolveClass(ds, 'cat'), /unknown class 'cat'/);
  });

  for (const name of ['retrain', 'gradient_ascent', 'random_label', 'salun', 'finetune']) {
    it(`${name} returns a new model, leaves the original intact, and forgets`, async () => {
      const task = makeTask(ds, 3, recipe);
      const before = original.model.getWeights().map((w) => w.dataSync().slice());
      const origEval = evaluate(original, ds, 3, 1);
      assert.ok(origEval.forget_test_acc > 0.8, `original knows class 3: ${origEval.forget_test_acc}`);
      const fractions: number[] = [];
      const m = await methodByName(name).run(
        original,
        task,
        {},
        { seed: 1, onProgress: (p) => fractions.push(p.fraction) },
      );
      assert.notEqual(m.model, original.model);
      original.model.getWeights().forEach((w, i) => assert.deepEqual(w.dataSync(), before[i]));
      const e = evaluate(m, ds, 3, 1);
      if (name === 'finetune') {
        assert.ok(e.retain_test_acc > 0.8, `finetune keeps retained classes: ${e.retain_test_acc}`);
      } else {
        assert.ok(e.forget_test_acc <= 0.1, `${name} forget-test ${e.forget_test_acc}`);
        assert.ok(
          e.retain_test_acc > origEval.retain_test_acc - 0.1,
          `${name} retain-test ${e.retain_test_acc}`,
        );
        assert.ok(e.mia_forget_rate > origEval.mia_forget_rate, `${name} MIA ${e.mia_forget_rate}`);
      }
      assert.ok(fractions.length > 0 && fractions.every((f) => f >= 0 && f <= 1));
      m.dispose();
    });
  }

  it('every method can be cancelled and rejects unknown options', async () => {
    const task = makeTask(ds, 3, recipe);
    for (const m of allMethods()) {
      const ctl = new AbortController();
      await assert.rejects(
        m.run(original, task, {}, { seed: 1, signal: ctl.signal, onProgress: () => ctl.abort() }),
        CancelledError,
        m.name,
      );
      await assert.rejects(m.run(original, task, { bogus: 1 }, { seed: 1 }), /has no option 'bogus'/, m.name);
    }
  });
});
