import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cavScore, logisticRegression, trainCav } from '../../native/concepts/cav';
import {
  conceptBankFromEmbeddings,
  conceptBankFromJson,
  conceptBankToJson,
  conceptScores,
} from '../../native/concepts/conceptBank';
import { Rng } from '../../native/engine/random';
import { UserError } from '../../native/errors';

const DIM = 16;

/** n embeddings ~ N(mu, I) (+ shift * direction), non-negative-ish like ReLU features are not needed here. */
function cloud(n: number, rng: Rng, shift: number, direction: Float32Array): Float32Array {
  const out = new Float32Array(n * DIM);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < DIM; j++) out[i * DIM + j] = 2 + rng.normal() + shift * direction[j];
  }
  return out;
}

function unit(rng: Rng): Float32Array {
  const v = Float32Array.from({ length: DIM }, () => rng.normal());
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

describe('concept activation vectors', () => {
  it('separate separable synthetic embeddings with high held-out accuracy, along the true direction', () => {
    const rng = new Rng(1);
    const dir = unit(rng);
    const pos = cloud(60, rng, 3, dir);
    const neg = cloud(60, rng, -3, dir);
    const cav = trainCav(pos, neg, DIM);
    assert.ok(cav.heldoutAccuracy >= 0.95, `held-out accuracy ${cav.heldoutAccuracy}`);
    assert.equal(cav.numPositives, 60);
    const cos = cav.weights.reduce((s, w, j) => s + w * dir[j], 0) / cav.norm;
    assert.ok(cos > 0.8, `cosine with the true direction ${cos}`);
    // The score is the signed distance to the hyperplane: moving by t along the unit normal adds t.
    const e = pos.slice(0, DIM);
    const moved = e.map((v, j) => v + (2.5 * cav.weights[j]) / cav.norm);
    assert.ok(Math.abs(cavScore(cav, moved) - cavScore(cav, e) - 2.5) < 1e-4);
    assert.ok(cavScore(cav, pos, 3) > 0 && cavScore(cav, neg, 3) < 0);
  });

  it('reaches a stationary point of the regularised logistic loss (gradient check)', () => {
    const rng = new Rng(2);
    const n = 50;
    const d = 4;
    const x = Float64Array.from({ length: n * d }, () => rng.normal());
    const y = Uint8Array.from({ length: n }, (_, i) => (x[i * d] + 0.5 * rng.normal() > 0 ? 1 : 0));
    const lambda = 0.05;
    const theta = logisticRegression(x, y, n, d, lambda);
    const grad = new Float64Array(d + 1);
    for (let i = 0; i < n; i++) {
      let z = theta[d];
      for (let j = 0; j < d; j++) z += theta[j] * x[i * d + j];
      const r = 1 / (1 + Math.exp(-z)) - y[i];
      for (let j = 0; j < d; j++) grad[j] += (r * x[i * d + j]) / n;
      grad[d] += r / n;
    }
    for (let j = 0; j < d; j++) grad[j] += lambda * theta[j];
    assert.ok(Math.max(...Array.from(grad, Math.abs)) < 1e-6, `gradient ${grad}`);
  });

  it('drops a random concept (near chance) and keeps the real ones', () => {
    const rng = new Rng(3);
    const dirA = unit(rng);
    const dirB = unit(rng);
    const zero = new Float32Array(DIM);
    const bank = conceptBankFromEmbeddings(
      [
        { name: 'a', positives: cloud(50, rng, 2.5, dirA), negatives: cloud(80, rng, 0, dirA) },
        { name: 'random', positives: cloud(50, rng, 0, zero), negatives: cloud(80, rng, 0, zero) },
        { name: 'b', positives: cloud(50, rng, 2.5, dirB), negatives: cloud(80, rng, 0, dirB) },
      ],
      DIM,
      'embedding',
    );
    assert.deepEqual(
      bank.concepts.map((c) => c.name),
      ['a', 'b'],
    );
    assert.equal(bank.dropped.length, 1);
    assert.equal(bank.dropped[0].name, 'random');
    assert.ok(bank.dropped[0].heldoutAccuracy < 0.6);
    // Balanced: 50 positives against 50 of the 80 negatives.
    assert.equal(bank.concepts[0].cav.numNegatives, 50);

    const e = cloud(3, rng, 0, zero);
    const scores = conceptScores(bank, e);
    assert.equal(scores.length, 6);
    assert.ok(Math.abs(scores[2 * 2 + 1] - cavScore(bank.concepts[1].cav, e, 2)) < 1e-5);

    const copy = conceptBankFromJson(JSON.parse(JSON.stringify(conceptBankToJson(bank))));
    assert.deepEqual(
      copy.concepts.map((c) => c.name),
      ['a', 'b'],
    );
    assert.ok(Math.abs(conceptScores(copy, e)[3] - scores[3]) < 1e-5);
    assert.throws(() => conceptBankFromJson({ format: 'other' }), UserError);
  });

  it('rejects too few examples and duplicate names with a UserError', () => {
    const rng = new Rng(4);
    const one = cloud(1, rng, 0, new Float32Array(DIM));
    const many = cloud(10, rng, 0, new Float32Array(DIM));
    assert.throws(() => trainCav(one, many, DIM), UserError);
    assert.throws(
      () => conceptBankFromEmbeddings([{ name: 'x', positives: one, negatives: many }], DIM, 'embedding'),
      /concept 'x' has 1 example image/,
    );
    assert.throws(
      () =>
        conceptBankFromEmbeddings(
          [
            { name: 'x', positives: many, negatives: many },
            { name: 'x', positives: many, negatives: many },
          ],
          DIM,
          'embedding',
        ),
      /defined twice/,
    );
  });
});
