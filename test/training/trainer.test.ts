import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initBackend } from '../../native/engine/backend/select';
import { Rng } from '../../native/engine/random';
import { tf } from '../../native/engine/tf';
import { CancelledError } from '../../native/errors';
import { accuracy, predictions } from '../../native/metrics/accuracy';
import { Classifier } from '../../native/models/classifier';
import { CNN_ARCHS, buildCnn } from '../../native/models/cnn';
import { buildBatch, planEpoch, wholeSplit } from '../../native/training/samples';
import { Trainer } from '../../native/training/trainer';
import { barsDataset } from '../helpers/tinyData';

const ds = barsDataset();
const fresh = (seed = 1) => new Classifier(buildCnn(CNN_ARCHS['cnn-ref'], [8, 8, 1], 4, seed));
const testAcc = (c: Classifier) => accuracy(predictions(c.predictProbs(ds.test), 4), ds.test.labels);

describe('trainer', () => {
  before(async () => {
    await initBackend();
  });

  it('learns a separable problem and keeps the number of tensors flat across epochs', async () => {
    const c = fresh();
    const t = new Trainer(c, { lr: 3e-3, batchSize: 32 });
    const counts: number[] = [];
    await t.fit([wholeSplit(ds.train)], new Rng(1), {
      epochs: 5,
      afterEpoch: () => {
        counts.push(tf.memory().numTensors);
        return false;
      },
    });
    assert.ok(testAcc(c) > 0.95, `accuracy ${testAcc(c)}`);
    assert.equal(counts[0], counts[4], `tensors after each epoch: ${counts}`);
    t.dispose();
    c.dispose();
  });

  it('is reproducible from the seed', async () => {
    const run = async () => {
      const c = fresh(5);
      const t = new Trainer(c, { lr: 1e-3 });
      await t.fit([wholeSplit(ds.train)], new Rng(9), { epochs: 1 });
      const w = c.model.getWeights()[0].dataSync().slice();
      t.dispose();
      c.dispose();
      return w;
    };
    assert.deepEqual(await run(), await run());
  });

  it('leaves masked weights untouched and ascends the loss with negative weights', async () => {
    const c = fresh(2);
    const vars = c.variables();
    const masks = vars.map((v, i) => (i === 0 ? tf.zerosLike(v) : tf.onesLike(v)));
    const before0 = vars[0].dataSync().slice();
    const before1 = vars[1].dataSync().slice();
    const t = new Trainer(c, { lr: 1e-2, gradMasks: masks });
    await t.fit([wholeSplit(ds.train)], new Rng(1), { epochs: 1 });
    assert.deepEqual(vars[0].dataSync(), before0);
    assert.notDeepEqual(vars[1].dataSync(), before1);
    t.dispose();
    masks.forEach((m) => m.dispose());

    const lossOf = () =>
      tf.tidy(() => {
        const y = tf.oneHot(tf.tensor1d(ds.train.labels, 'int32'), 4);
        const x = tf.tensor4d(
          Float32Array.from(ds.train.pixels, (p) => p / 255),
          [ds.train.size, 8, 8, 1],
        );
        return tf.losses.softmaxCrossEntropy(y, c.logits(x)).dataSync()[0];
      });
    const l0 = lossOf();
    const ascent = new Trainer(c, { lr: 1e-3, clipNorm: 1 });
    await ascent.fit([wholeSplit(ds.train, -1)], new Rng(1), { epochs: 1 });
    assert.ok(lossOf() > l0, 'loss rose under negative weights');
    ascent.dispose();
    c.dispose();
  });

  it('stops with CancelledError when its signal is aborted', async () => {
    const c = fresh();
    const t = new Trainer(c);
    const ctl = new AbortController();
    await assert.rejects(
      t.fit([wholeSplit(ds.train)], new Rng(1), {
        epochs: 3,
        signal: ctl.signal,
        reportEvery: 1,
        onStep: () => ctl.abort(),
      }),
      CancelledError,
    );
    t.dispose();
    c.dispose();
  });

  it('adds the logit offset to the training loss only', () => {
    // A linear model (no dropout), so training-mode logits are the inference logits.
    const model = tf.sequential({
      layers: [
        tf.layers.flatten({ inputShape: [8, 8, 1], name: 'flat' }),
        tf.layers.dense({ units: 4, name: 'head', kernelInitializer: 'glorotNormal' }),
      ],
    });
    const c = new Classifier(model);
    const set = wholeSplit(ds.train);
    const plan = planEpoch([set], new Rng(3));
    const batch = buildBatch([set], plan, 0, 16, [8, 8, 1]);
    const offset = [0.7, -0.2, 0, 1.5];
    const frozen = c.model.getWeights().map((w) => w.dataSync().slice());
    // Learning rate 0: the step only reports the loss.
    const t = new Trainer(c, { lr: 0, optimizer: 'sgd', logitOffset: offset });
    const loss = t.step(batch);
    const got = loss.dataSync()[0];
    loss.dispose();
    // Reference: cross-entropy of logits + offset, computed by hand from the softmax.
    const logits = c.logits(batch.x);
    const z = logits.arraySync() as number[][];
    logits.dispose();
    let want = 0;
    z.forEach((row, i) => {
      const shifted = row.map((v, j) => v + offset[j]);
      const m = Math.max(...shifted);
      const lse = m + Math.log(shifted.reduce((a, v) => a + Math.exp(v - m), 0));
      want += lse - shifted[batch.targets[i]];
    });
    want /= z.length;
    assert.ok(Math.abs(got - want) < 1e-5, `loss ${got} vs ${want}`);
    // Without the offset the same batch has another loss; the weights did not move.
    const plain = new Trainer(c, { lr: 0, optimizer: 'sgd' });
    const l2 = plain.step(batch);
    assert.ok(Math.abs(l2.dataSync()[0] - want) > 1e-3);
    l2.dispose();
    c.model.getWeights().forEach((w, i) => assert.deepEqual(w.dataSync(), frozen[i]));
    assert.throws(() => new Trainer(c, { logitOffset: [0, 1] }), /2 entries for 4 classes/);
    batch.x.dispose();
    t.dispose();
    plain.dispose();
    c.dispose();
  });
});
