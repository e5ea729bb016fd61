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

  it('starts the coefficients from least squares: a few updates match a long uniform-start run', () => {
    const rng = new Rng(8);
    const { v, h } = lowRank(60, 16, 4, rng);
    const relErr = (w: Float32Array) => {
      let err = 0;
      let norm = 0;
      for (let i = 0; i < 60; i++) {
        for (let j = 0; j < 16; j++) {
          let s = 0;
          for (let c = 0; c < 4; c++) s += w[i * 4 + c] * h[c * 16 + j];
          err += (s - v[i * 16 + j]) ** 2;
          norm += v[i * 16 + j] ** 2;
        }
      }
      return Math.sqrt(err / norm);
    };
    const warm = nmfTransform(v, 60, 16, h, 4, 5);
    const cold5 = nmfTransform(v, 60, 16, h, 4, 5, { warmStart: false });
    const cold = nmfTransform(v, 60, 16, h, 4, 300, { warmStart: false });
    // The rows are non-negative combinations plus 1% noise: least squares starts at the noise floor
    // (about 0.006 here), where 300 uniform-start updates end.
    assert.ok(relErr(warm) < 0.01, `warm start, 5 updates: ${relErr(warm)}`);
    assert.ok(relErr(warm) <= relErr(cold) * 1.01, `warm ${relErr(warm)} vs 300 updates ${relErr(cold)}`);
    assert.ok(relErr(cold5) > 5 * relErr(warm), `uniform start, 5 updates: ${relErr(cold5)}`);
    assert.ok(warm.every((x) => x >= 0));
    const maxDiff = Math.max(...Array.from(warm, (x, i) => Math.abs(x - cold[i])));
    assert.ok(maxDiff < 0.05, `max coefficient difference to 300 uniform-start updates: ${maxDiff}`);
  });

  it('rejects negative input', () => {
    assert.throws(() => nmf(Float32Array.from([1, -1, 2, 3]), 2, 2, 1), UserError);
  });
});
