import { Rng } from '../engine/random';
import { type Tensor, tf } from '../engine/tf';
import { UserError } from '../errors';
/**
 * Non-negative matrix factorisation V ~ W H (V: rows x cols, W: rows x k, H: k x cols, all >= 0) by the
 * multiplicative updates of Lee & Seung (2001) for the Frobenius norm, which never increase ||V - W H||:
 *
 *   H <- H * (W^T V) / (W^T W H + eps),   W <- W * (V H^T) / (W H H^T + eps).
 *
 * Seeded uniform initialisation scaled to V's mean; the matrix products run on the TensorFlow.js backend.
 */
import { choleskySolve } from './linalg';

export interface NmfOptions {
  /** Most update rounds (default 200). */
  iterations?: number;
  /** Stop when the relative error improves by less than this in one round (default 1e-5). */
  tolerance?: number;
  /** Default 0. */
  seed?: number;
}

export interface NmfResult {
  /** rows * k, row-major. */
  w: Float32Array;
  /** k * cols, row-major. */
  h: Float32Array;
  /** ||V - W H||_F / ||V||_F after initialisation (first entry) and after each round. */
  errors: number[];
}

const EPS = 1e-9;

function randomFactor(size: number, scale: number, rng: Rng): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = (0.1 + rng.next()) * scale;
  return out;
}

function checkNonNegative(v: Float32Array): void {
  for (let i = 0; i < v.length; i++) {
    if (!(v[i] >= 0))
      throw new UserError(`NMF needs non-negative finite values, found ${v[i]} at index ${i}`);
  }
}

/** ||V - W H||_F / ||V||_F. */
function relativeError(v: Tensor, w: Tensor, h: Tensor, vNorm2: number): number {
  const e = tf.tidy(() => tf.sum(tf.square(tf.sub(v, tf.matMul(w, h)))));
  const val = e.dataSync()[0];
  e.dispose();
  return Math.sqrt(val / Math.max(vNorm2, EPS));
}

/** Factorises the non-negative rows x cols matrix `v` (row-major) into k factors. */
export function nmf(
  v: Float32Array,
  rows: number,
  cols: number,
  k: number,
  opts: NmfOptions = {},
): NmfResult {
  if (v.length !== rows * cols) throw new RangeError(`matrix of ${v.length} values is not ${rows} x ${cols}`);
  if (!Number.isInteger(k) || k < 1)
    throw new UserError(`the number of NMF concepts must be at least 1, got ${k}`);
  checkNonNegative(v);
  const iterations = opts.iterations ?? 200;
  const tolerance = opts.tolerance ?? 1e-5;
  let mean = 0;
  let norm2 = 0;
  for (let i = 0; i < v.length; i++) {
    mean += v[i];
    norm2 += v[i] * v[i];
  }
  mean /= Math.max(1, v.length);
  const rng = new Rng((opts.seed ?? 0) + 4099);
  const scale = Math.sqrt(Math.max(mean, EPS) / k);
  const V = tf.tensor2d(v, [rows, cols]);
  let W: Tensor = tf.tensor2d(randomFactor(rows * k, scale, rng), [rows, k]);
  let H: Tensor = tf.tensor2d(randomFactor(k * cols, scale, rng), [k, cols]);
  const errors = [relativeError(V, W, H, norm2)];
  try {
    for (let it = 0; it < iterations; it++) {
      const h2 = tf.tidy(() => {
        const num = tf.matMul(W, V, true, false);
        const den = tf.add(tf.matMul(tf.matMul(W, W, true, false), H), EPS);
        return tf.mul(H, tf.div(num, den));
      });
      H.dispose();
      H = h2;
      const w2 = tf.tidy(() => {
        const num = tf.matMul(V, H, false, true);
        const den = tf.add(tf.matMul(W, tf.matMul(H, H, false, true)), EPS);
        return tf.mul(W, tf.div(num, den));
      });
      W.dispose();
      W = w2;
      errors.push(relativeError(V, W, H, norm2));
      const prev = errors[errors.length - 2];
      if (prev - errors[errors.length - 1] < tolerance * Math.max(prev, EPS)) break;
    }
    return { w: W.dataSync() as Float32Array, h: H.dataSync() as Float32Array, errors };
  } finally {
    tf.dispose([V, W, H]);
  }
}

/** The inverse of a symmetric positive definite k x k matrix (column by column, Cholesky). */
function spdInverse(a: ArrayLike<number>, k: number): Float32Array {
  const inv = new Float32Array(k * k);
  const trace = Array.from({ length: k }, (_, i) => a[i * k + i]).reduce((x, y) => x + y, 0);
  for (let col = 0; col < k; col++) {
    const m = Float64Array.from(a);
    // A tiny ridge keeps nearly dependent factors solvable.
    for (let i = 0; i < k; i++) m[i * k + i] += 1e-9 * trace;
    const e = new Float64Array(k);
    e[col] = 1;
    const x = choleskySolve(m, e, k);
    for (let i = 0; i < k; i++) inv[i * k + col] = x[i];
  }
  return inv;
}

/**
 * The coefficients W >= 0 of new rows `v` for fixed factors `h` (k x cols): multiplicative updates of W
 * only, started from the least-squares coefficients V Hᵀ (H Hᵀ)⁻¹ clipped to a small positive floor
 * (exact when the rows lie in the factors' cone, so a few updates suffice where a uniform start needs
 * a hundred); `warmStart: false` starts from the uniform 1/k instead.
 */
export function nmfTransform(
  v: Float32Array,
  rows: number,
  cols: number,
  h: Float32Array,
  k: number,
  iterations = 10,
  opts: { warmStart?: boolean } = {},
): Float32Array {
  if (v.length !== rows * cols) throw new RangeError(`matrix of ${v.length} values is not ${rows} x ${cols}`);
  if (h.length !== k * cols) throw new RangeError(`factors of ${h.length} values are not ${k} x ${cols}`);
  checkNonNegative(v);
  const V = tf.tensor2d(v, [rows, cols]);
  const H = tf.tensor2d(h, [k, cols]);
  let W: Tensor = tf.fill([rows, k], 1 / k);
  try {
    const vht = tf.matMul(V, H, false, true);
    const hht = tf.matMul(H, H, false, true);
    if (opts.warmStart ?? true) {
      const inv = tf.tensor2d(spdInverse(hht.dataSync(), k), [k, k]);
      const w0 = tf.tidy(() => {
        const ls = tf.matMul(vht, inv);
        // Multiplicative updates never move an exact zero: clip to a floor relative to the scale.
        const floor = tf.mul(tf.mean(tf.abs(ls)), 1e-4);
        return tf.maximum(ls, floor);
      });
      inv.dispose();
      W.dispose();
      W = w0;
    }
    for (let it = 0; it < iterations; it++) {
      const w2 = tf.tidy(() => tf.mul(W, tf.div(vht, tf.add(tf.matMul(W, hht), EPS))));
      W.dispose();
      W = w2;
    }
    tf.dispose([vht, hht]);
    return W.dataSync() as Float32Array;
  } finally {
    tf.dispose([V, H, W]);
  }
}
