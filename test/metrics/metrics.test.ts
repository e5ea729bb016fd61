import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '../../native/engine/random';
import {
  type MiaAttack,
  type UnlearningMetrics,
  accuracy,
  avgGap,
  confidences,
  confusionMatrix,
  entropies,
  losses,
  meanLoss,
  meanStd,
  miaAuc,
  miaFeatures,
  miaForgetRate,
  modifiedEntropies,
  perClassAccuracy,
  predictions,
  trainMiaAttack,
} from '../../native/metrics';

const close = (actual: number, expected: number, tol = 1e-6): void => {
  assert.ok(Math.abs(actual - expected) <= tol, `expected ${expected}, got ${actual}`);
};

function oneHot(labels: number[], k: number): Float32Array {
  const p = new Float32Array(labels.length * k);
  labels.forEach((y, i) => {
    p[i * k + y] = 1;
  });
  return p;
}

interface Samples {
  probs: Float32Array;
  labels: Int32Array;
}

/** n samples of k classes; `row` fills one softmax row for label y. */
function makeSet(n: number, k: number, rng: Rng, row: (y: number, out: Float64Array) => void): Samples {
  const probs = new Float32Array(n * k);
  const labels = new Int32Array(n);
  const tmp = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const y = rng.int(k);
    labels[i] = y;
    row(y, tmp);
    let s = 0;
    for (let c = 0; c < k; c++) s += tmp[c];
    for (let c = 0; c < k; c++) probs[i * k + c] = tmp[c] / s;
  }
  return { probs, labels };
}

const K = 10;
/** Confident and correct: p_y in [0.9, 0.999). */
const confident =
  (rng: Rng) =>
  (y: number, out: Float64Array): void => {
    const py = 0.9 + 0.099 * rng.next();
    let s = 0;
    for (let c = 0; c < out.length; c++) {
      out[c] = c === y ? 0 : 0.1 + rng.next();
      s += out[c];
    }
    for (let c = 0; c < out.length; c++) out[c] = c === y ? py : ((1 - py) * out[c]) / s;
  };
/** Nearly uniform. */
const flat =
  (rng: Rng) =>
  (_y: number, out: Float64Array): void => {
    for (let c = 0; c < out.length; c++) out[c] = 1 + 0.2 * rng.next();
  };
/** Softmax of random logits, whatever the label. */
const random =
  (rng: Rng) =>
  (_y: number, out: Float64Array): void => {
    for (let c = 0; c < out.length; c++) out[c] = Math.exp(2 * rng.normal());
  };

describe('accuracy metrics', () => {
  it('a perfect model scores 1 everywhere, with zero loss and entropy', () => {
    const labels = Int32Array.from([0, 1, 2, 2, 1, 0, 3]);
    const probs = oneHot(Array.from(labels), 4);
    const pred = predictions(probs, 4);
    assert.deepEqual(Array.from(pred), Array.from(labels));
    assert.equal(accuracy(pred, labels), 1);
    assert.deepEqual(perClassAccuracy(pred, labels, 4), [1, 1, 1, 1]);
    assert.deepEqual(Array.from(losses(probs, labels, 4)), [0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(Array.from(entropies(probs, 4)), [0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(Array.from(modifiedEntropies(probs, labels, 4)), [0, 0, 0, 0, 0, 0, 0]);
    assert.equal(meanLoss(probs, labels, 4), 0);
  });

  it('a constant model scores the share of its class', () => {
    const labels = Int32Array.from([0, 0, 1, 2, 1, 0, 2, 2]);
    const probs = new Float32Array(labels.length * 3);
    for (let i = 0; i < labels.length; i++) probs.set([0.5, 0.3, 0.2], i * 3);
    const pred = predictions(probs, 3);
    assert.deepEqual(Array.from(pred), [0, 0, 0, 0, 0, 0, 0, 0]);
    assert.equal(accuracy(pred, labels), 3 / 8);
    assert.deepEqual(perClassAccuracy(pred, labels, 3), [1, 0, 0]);
  });

  it('argmax takes the lowest index on a tie', () => {
    assert.deepEqual(Array.from(predictions(Float32Array.from([0.4, 0.4, 0.2, 0.1, 0.45, 0.45]), 3)), [0, 1]);
  });

  it('computes confidence, entropy, loss and modified entropy by hand for 3 classes', () => {
    const probs = Float32Array.from([0.7, 0.2, 0.1, 0.2, 0.5, 0.3]);
    const labels = Int32Array.from([0, 2]);
    const c = confidences(probs, labels, 3);
    close(c[0], 0.7);
    close(c[1], 0.3);
    const h = entropies(probs, 3);
    close(h[0], -(0.7 * Math.log(0.7) + 0.2 * Math.log(0.2) + 0.1 * Math.log(0.1)));
    close(h[0], 0.8018185525);
    close(h[1], -(0.2 * Math.log(0.2) + 0.5 * Math.log(0.5) + 0.3 * Math.log(0.3)));
    const l = losses(probs, labels, 3);
    close(l[0], 0.3566749439);
    close(l[1], 1.2039728043);
    close(meanLoss(probs, labels, 3), (0.3566749439 + 1.2039728043) / 2);
    const m = modifiedEntropies(probs, labels, 3);
    close(m[0], -0.3 * Math.log(0.7) - 0.2 * Math.log(0.8) - 0.1 * Math.log(0.9));
    close(m[1], -0.7 * Math.log(0.3) - 0.2 * Math.log(0.8) - 0.5 * Math.log(0.5));
    const f = miaFeatures(probs, labels, 3);
    assert.equal(f.length, 8);
    close(f[4], 0.3);
    close(f[6], 1.2039728043);
    assert.equal(miaFeatures(probs, labels, 3, false).length, 6);
  });

  it('clamps the loss of a zero probability', () => {
    const l = losses(Float32Array.from([1, 0]), Int32Array.from([1]), 2);
    close(l[0], -Math.log(1e-12));
    assert.ok(Number.isFinite(modifiedEntropies(Float32Array.from([1, 0]), Int32Array.from([1]), 2)[0]));
  });

  it('builds the confusion matrix (rows: labels, columns: predictions)', () => {
    const pred = Int32Array.from([0, 1, 2, 2, 1, 0]);
    const labels = Int32Array.from([0, 1, 1, 2, 0, 0]);
    assert.deepEqual(confusionMatrix(pred, labels, 3), [
      [2, 1, 0],
      [0, 1, 1],
      [0, 0, 1],
    ]);
  });

  it('gives null for a class without samples and 0 for an empty set', () => {
    const pred = Int32Array.from([0, 1, 2]);
    const labels = Int32Array.from([0, 0, 2]);
    assert.deepEqual(perClassAccuracy(pred, labels, 4), [0.5, null, 1, null]);
    assert.equal(accuracy(new Int32Array(0), new Int32Array(0)), 0);
    assert.deepEqual(perClassAccuracy(new Int32Array(0), new Int32Array(0), 2), [null, null]);
  });

  it('rejects mismatched shapes and bad labels', () => {
    assert.throws(() => predictions(new Float32Array(5), 3), RangeError);
    assert.throws(() => accuracy(new Int32Array(2), new Int32Array(3)), RangeError);
    assert.throws(() => perClassAccuracy(Int32Array.from([0]), Int32Array.from([3]), 3), RangeError);
    assert.throws(() => losses(new Float32Array(6), new Int32Array(3), 3), RangeError);
  });
});

describe('membership-inference attack', () => {
  const rng = new Rng(7);
  const members = makeSet(400, K, rng, confident(rng));
  const nonMembers = makeSet(300, K, rng, flat(rng));
  const attack: MiaAttack = trainMiaAttack(members, nonMembers, K, { seed: 1 });

  it('separates confident members from flat non-members', () => {
    assert.equal(attack.perSide, 300);
    assert.deepEqual(attack.featureNames, ['confidence', 'entropy', 'loss', 'modified_entropy']);
    assert.ok(attack.trainAccuracy > 0.95, `trainAccuracy ${attack.trainAccuracy}`);
    const pm = attack.memberProbability(members.probs, members.labels);
    const pn = attack.memberProbability(nonMembers.probs, nonMembers.labels);
    assert.ok(miaAuc(pm, pn) > 0.99);
  });

  it('judges flat forget samples non-members and confident ones members', () => {
    const r = new Rng(99);
    const forgotten = makeSet(200, K, r, flat(r));
    const remembered = makeSet(200, K, r, confident(r));
    assert.ok(miaForgetRate(attack, forgotten.probs, forgotten.labels) > 0.95);
    assert.ok(miaForgetRate(attack, remembered.probs, remembered.labels) < 0.05);
    const pred = attack.predictMember(remembered.probs, remembered.labels);
    assert.ok(pred instanceof Uint8Array && pred.length === 200);
    assert.equal(miaForgetRate(attack, new Float32Array(0), new Int32Array(0)), 0);
  });

  it('is monotone: weights with the sign of membership evidence, so more loss never looks more like a member', () => {
    // Members confident, non-members spread from confident to flat: the features are strongly correlated,
    // where an unconstrained fit may give loss and modified entropy weights of opposite signs.
    const r = new Rng(21);
    const m = makeSet(400, K, r, confident(r));
    const n = makeSet(400, K, r, (y, out) => (r.next() < 0.5 ? confident(r)(y, out) : random(r)(y, out)));
    const a = trainMiaAttack(m, n, K, { seed: 2 });
    const [conf, ent, loss, mentr] = Array.from(a.weights);
    assert.ok(conf >= 0 && ent <= 0 && loss <= 0 && mentr <= 0, `weights ${Array.from(a.weights)}`);
    assert.ok(a.trainAccuracy > 0.6, `trainAccuracy ${a.trainAccuracy}`);
    // Confidently wrong samples, as a model retrained without their class gives: the further from the
    // label, the less member-like, and judged non-members however extreme.
    const wrong = (py: number): Float32Array => {
      const p = new Float32Array(K);
      p[0] = py;
      p[1] = 1 - py;
      return p;
    };
    const labels = new Int32Array([0]);
    const probs = [1e-2, 1e-4, 1e-6, 1e-9, 1e-11].map((py) => a.memberProbability(wrong(py), labels)[0]);
    for (let i = 1; i < probs.length; i++) assert.ok(probs[i] <= probs[i - 1], `${probs}`);
    assert.ok(
      probs.every((p) => p < 0.5),
      `${probs}`,
    );
  });

  it('stays near chance on identical distributions', () => {
    const r = new Rng(3);
    const a = makeSet(500, K, r, random(r));
    const b = makeSet(500, K, r, random(r));
    const chance = trainMiaAttack(a, b, K, { seed: 5 });
    assert.ok(
      chance.trainAccuracy >= 0.4 && chance.trainAccuracy <= 0.6,
      `trainAccuracy ${chance.trainAccuracy}`,
    );
  });

  it('is reproducible for a seed and balances the sides', () => {
    const r = new Rng(11);
    const a = makeSet(300, K, r, random(r));
    const b = makeSet(150, K, r, flat(r));
    const x = trainMiaAttack(a, b, K, { seed: 42, maxPerSide: 100 });
    const y = trainMiaAttack(a, b, K, { seed: 42, maxPerSide: 100 });
    const z = trainMiaAttack(a, b, K, { seed: 43, maxPerSide: 100 });
    assert.equal(x.perSide, 100);
    assert.deepEqual(Array.from(x.weights), Array.from(y.weights));
    assert.equal(x.bias, y.bias);
    assert.equal(x.trainAccuracy, y.trainAccuracy);
    assert.deepEqual(x.memberProbability(a.probs, a.labels), y.memberProbability(a.probs, a.labels));
    assert.notDeepEqual(Array.from(x.mean), Array.from(z.mean));
  });

  it('refuses an empty side', () => {
    assert.throws(
      () => trainMiaAttack(members, { probs: new Float32Array(0), labels: new Int32Array(0) }, K),
      RangeError,
    );
  });

  it('computes a rank-based AUC with ties counting 1/2', () => {
    // Pairs (member, non-member): 0.9 beats both; each 0.5 ties 0.5 and beats 0.1 → (2 + 1.5 + 1.5) / 6.
    close(miaAuc([0.9, 0.5, 0.5], [0.5, 0.1]), 5 / 6, 1e-12);
    assert.equal(miaAuc([3, 4], [1, 2]), 1);
    assert.equal(miaAuc([1, 2], [3, 4]), 0);
    assert.equal(miaAuc([1, 1], [1, 1, 1]), 0.5);
    close(miaAuc([2, 0], [1]), 0.5, 1e-12);
    assert.equal(miaAuc([], [1]), 0.5);
  });
});

describe('gap to retraining', () => {
  it('averages the absolute gap over exactly four metrics', () => {
    const m: UnlearningMetrics = {
      forget_train_acc: 0.9,
      forget_test_acc: 0.1,
      retain_train_acc: 0.95,
      retain_test_acc: 0.9,
      mia_forget_rate: 0.8,
    };
    const retrain: UnlearningMetrics = {
      forget_train_acc: 0, // not part of the average
      forget_test_acc: 0,
      retain_train_acc: 1,
      retain_test_acc: 0.92,
      mia_forget_rate: 1,
    };
    close(avgGap(m, retrain), (0.1 + 0.05 + 0.02 + 0.2) / 4, 1e-12);
    assert.equal(avgGap(retrain, retrain), 0);
  });

  it('computes the mean and the sample std', () => {
    const r = meanStd([2, 4, 4, 4, 5, 5, 7, 9]);
    assert.equal(r.mean, 5);
    close(r.std, Math.sqrt(32 / 7), 1e-12);
    assert.deepEqual(meanStd([3]), { mean: 3, std: 0 });
    assert.deepEqual(meanStd([]), { mean: 0, std: 0 });
    close(meanStd([1, 2]).std, Math.SQRT1_2, 1e-12);
  });
});
