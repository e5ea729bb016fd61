import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { nmf, nmfTransform } from '../../native/concepts/nmf';
import { initBackend } from '../../native/engine/backend/select';
import { Rng } from '../../native/engine/random';
import { UserError } from '../../native/errors';

/** A rows x cols non-negative matrix of rank k (plus a little non-negative noise), and its true H. */
function lowRank(rows: number, cols: number, k: number, rng: Rng) {
  const w = Float32Array.from({ length: rows * k }, () => (rng.next() < 0.5 ? 0 : rng.next()));
  const h = Float32Array.from({ length: k * cols }, () => (rng.next() < 0.5 ? 0 : rng.next() * 2));
  const v = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      let s = 0;
      for (let c = 0; c < k; c++) s += w[i * k + c] * h[c * cols + j];
      v[i * cols + j] = s + rng.next() * 0.01;
    }
  }
  return { v, h };
}

describe('NMF (multiplicative updates)', () => {
  before(async () => {
    await initBackend();
  });

  it('decreases the reconstruction error monotonically, with non-negative factors', () => {
    const rng = new Rng(1);
    const { v } = lowRank(300, 24, 4, rng);
    const r = nmf(v, 300, 24, 4, { iterations: 150, seed: 2, tolerance: 0 });
    assert.equal(r.errors.length, 151);
    for (let i = 1; i < r.errors.length; i++) {
      assert.ok(
        r.errors[i] <= r.errors[i - 1] * (1 + 1e-4),
        `error rose at round ${i}: ${r.errors[i - 1]} -> ${r.errors[i]}`,
      );
    }
    assert.ok(
      r.errors[r.errors.length - 1] < 0.2 * r.errors[0],
      `errors ${r.errors[0]} -> ${r.errors.at(-1)}`,
    );
    assert.ok(r.errors[r.errors.length - 1] < 0.1);
    assert.ok(r.w.every((x) => x >= 0) && r.h.every((x) => x >= 0));
    // Same seed, same factors.
    const again = nmf(v, 300, 24, 4, { iterations: 150, seed: 2, tolerance: 0 });
    assert.deepEqual(again.h, r.h);
  });

  it('finds the coefficients of new rows for fixed factors', () => {
    const rng = new Rng(3);
    const { v, h } = lowRank(50, 12, 3, rng);
    const w = nmfTransform(v, 50, 12, h, 3, 300);
    let err = 0;
    let norm = 0;
    for (let i = 0; i < 50; i++) {
      for (let j = 0; j < 12; j++) {
        let s = 0;
        for (let c = 0; c < 3; c++) s += w[i * 3 + c] * h[c * 12 + j];
        err += (s - v[i * 12 + j]) ** 2;
        norm += v[i * 12 + j] ** 2;
      }
    }
    assert.ok(Math.sqrt(err / norm) < 0.05, `relative error ${Math.sqrt(err / norm)}`);
    assert.ok(w.every((x) => x >= 0));
  });

  it('rejects negative input', () => {
    assert.throws(() => nmf(Float32Array.from([1, -1, 2, 3]), 2, 2, 1), UserError);
  });
});
