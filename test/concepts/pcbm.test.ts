import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluatePcbm, fitPcbm, pcbmClassWeights, pcbmPredict } from '../../native/concepts/pcbm';
import { Rng } from '../../native/engine/random';

/** n samples of k classes; concept c < k is high for class c, concepts >= k are noise. */
function separable(n: number, k: number, noise: number, rng: Rng) {
  const d = k + noise;
  const scores = new Float32Array(n * d);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const y = i % k;
    labels[i] = y;
    for (let j = 0; j < d; j++) scores[i * d + j] = rng.normal() * 0.5 + (j === y ? 3 : 0);
  }
  return { scores, labels, d };
}

describe('PCBM (sparse multinomial logistic regression)', () => {
  it('classifies a linearly separable case perfectly with a sparse model', () => {
    const rng = new Rng(1);
    const k = 3;
    const train = separable(300, k, 5, rng);
    const test = separable(150, k, 5, rng);
    const pcbm = fitPcbm(train.scores, train.labels, train.d, k, { lambda: 0.05 });
    const pred = pcbmPredict(pcbm, test.scores);
    const acc = pred.reduce((s, p, i) => s + (p === test.labels[i] ? 1 : 0), 0) / pred.length;
    assert.equal(acc, 1);
    // The noise concepts get no weight; each class's own concept has the largest weight.
    const w = pcbmClassWeights(pcbm);
    for (let c = 0; c < k; c++) {
      for (let j = k; j < train.d; j++) assert.equal(w[c * train.d + j], 0, `class ${c} noise concept ${j}`);
      const own = w[c * train.d + c];
      for (let j = 0; j < k; j++) if (j !== c) assert.ok(own > w[c * train.d + j]);
    }
    assert.ok(pcbm.nonZero <= k * k);
  });

  it('gets sparser as lambda grows and is optimal (subgradient check)', () => {
    const rng = new Rng(2);
    const data = separable(200, 3, 4, rng);
    const nz = [0.001, 0.02, 0.2].map(
      (lambda) => fitPcbm(data.scores, data.labels, data.d, 3, { lambda }).nonZero,
    );
    assert.ok(nz[0] >= nz[1] && nz[1] >= nz[2] && nz[2] < nz[0], `non-zeros ${nz}`);

    // Optimality: |dL/dw| <= lambda * alpha where w = 0, and dL/dw = -lambda * alpha * sign(w) elsewhere.
    const lambda = 0.02;
    const alpha = 0.9;
    const pcbm = fitPcbm(data.scores, data.labels, data.d, 3, {
      lambda,
      l1Ratio: alpha,
      maxIterations: 5000,
      tolerance: 1e-9,
    });
    const { d } = data;
    const n = data.labels.length;
    const grad = new Float64Array(d * 3);
    for (let i = 0; i < n; i++) {
      const z = Array.from({ length: d }, (_, j) => (data.scores[i * d + j] - pcbm.mean[j]) / pcbm.scale[j]);
      const logits = [0, 1, 2].map(
        (c) => pcbm.bias[c] + z.reduce((s, v, j) => s + v * pcbm.weights[j * 3 + c], 0),
      );
      const m = Math.max(...logits);
      const e = logits.map((l) => Math.exp(l - m));
      const sum = e.reduce((a, b) => a + b, 0);
      for (let c = 0; c < 3; c++) {
        const r = e[c] / sum - (data.labels[i] === c ? 1 : 0);
        for (let j = 0; j < d; j++) grad[j * 3 + c] += (r * z[j]) / n;
      }
    }
    for (let a = 0; a < d * 3; a++) {
      const w = pcbm.weights[a];
      const g = grad[a] + lambda * (1 - alpha) * w;
      if (w === 0) assert.ok(Math.abs(g) <= lambda * alpha + 1e-4, `zero weight ${a}: gradient ${g}`);
      else assert.ok(Math.abs(g + lambda * alpha * Math.sign(w)) < 1e-4, `weight ${a}: ${g}`);
    }
  });

  it('reports accuracy, model accuracy and fidelity', () => {
    const rng = new Rng(3);
    const data = separable(60, 3, 0, rng);
    const pcbm = fitPcbm(data.scores, data.labels, data.d, 3);
    const pred = pcbmPredict(pcbm, data.scores);
    // A "model" that is right on all but the first 6 samples, where it predicts class (y + 1) % 3.
    const model = Int32Array.from(data.labels, (y, i) => (i < 6 ? (y + 1) % 3 : y));
    const r = evaluatePcbm(pcbm, data.scores, data.labels, model);
    const acc = pred.reduce((s, p, i) => s + (p === data.labels[i] ? 1 : 0), 0) / 60;
    const agree = pred.reduce((s, p, i) => s + (p === model[i] ? 1 : 0), 0) / 60;
    assert.equal(r.accuracy, acc);
    assert.equal(r.modelAccuracy, 54 / 60);
    assert.equal(r.fidelity, agree);
  });
});
