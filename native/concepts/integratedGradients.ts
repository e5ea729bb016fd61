/**
 * Integrated Gradients (Sundararajan et al., 2017) for any differentiable function F that maps a batch of
 * inputs to one scalar per sample:
 *
 *   IG_i(x) = (x_i - x'_i) * \int_0^1 dF/dx_i (x' + a (x - x')) da
 *
 * The path integral is computed by a quadrature rule (nodes a_j, weights w_j on [0, 1]); by completeness the
 * attributions sum to F(x) - F(x'), and the difference (the completeness gap) measures the quadrature error.
 * F must treat samples independently (no batch statistics): the gradient of sum(F) is taken per batch.
 */
import { type Tensor, tf } from '../engine/tf';
import { UserError } from '../errors';

export type IgRule = 'left' | 'right' | 'midpoint' | 'trapezoid' | 'gauss-legendre';
export const IG_RULES: readonly IgRule[] = ['left', 'right', 'midpoint', 'trapezoid', 'gauss-legendre'];

/**
 * The baseline x': all zeros, the mean of `reference` (default: of the inputs), a Gaussian blur of each input
 * (NHWC images only), or a given tensor shaped like the inputs or like one sample (with batch dim 1).
 */
export type IgBaseline = 'zero' | 'mean' | 'blur' | Tensor;

/** Default number of steps (quadrature nodes). */
export const DEFAULT_IG_STEPS = 32;
/** Default rule: Gauss-Legendre is exact for polynomials of degree 2 * steps - 1 along the path. */
export const DEFAULT_IG_RULE: IgRule = 'gauss-legendre';

export interface IgOptions {
  /** Default 'zero'. */
  baseline?: IgBaseline;
  /** Number of intervals (left, right, midpoint, trapezoid) or of nodes (gauss-legendre); default 32. */
  steps?: number;
  /** Default 'gauss-legendre'. */
  rule?: IgRule;
  /** Inputs whose mean is the 'mean' baseline (default: the inputs themselves). */
  reference?: Tensor;
  /** Standard deviation in pixels of the 'blur' baseline (default: a quarter of the image's shorter side). */
  blurSigma?: number;
  /** Most path points (samples x nodes) per gradient evaluation (default 512). */
  batchSize?: number;
}

export interface IgResult {
  /** Shape of the inputs, [n, ...]. */
  shape: number[];
  /** Attributions, same shape as the inputs (row-major). */
  attributions: Float32Array;
  /** The path-averaged gradient sum_j w_j dF(x' + a_j (x - x')): attributions = (x - x') * meanGradients. */
  meanGradients: Float32Array;
  /** The baseline used, same shape as the inputs. */
  baseline: Float32Array;
  /** F(x) and F(x') per sample. */
  fx: Float32Array;
  fBaseline: Float32Array;
  /** Per sample: sum of attributions - (F(x) - F(x')). */
  gap: Float32Array;
  /** Per sample: |gap| / |F(x) - F(x')| (0 when both are 0). */
  relativeGap: Float32Array;
}

export interface Quadrature {
  nodes: number[];
  weights: number[];
}

/** Gauss-Legendre nodes and weights on [0, 1] (Newton's method on the Legendre polynomial P_m). */
function gaussLegendre(m: number): Quadrature {
  const nodes = new Array<number>(m);
  const weights = new Array<number>(m);
  for (let i = 0; i < Math.ceil(m / 2); i++) {
    let z = Math.cos((Math.PI * (i + 0.75)) / (m + 0.5));
    let dp = 0;
    for (let iter = 0; iter < 100; iter++) {
      let p1 = 1;
      let p2 = 0;
      for (let j = 1; j <= m; j++) {
        const p3 = p2;
        p2 = p1;
        p1 = ((2 * j - 1) * z * p2 - (j - 1) * p3) / j;
      }
      dp = (m * (z * p1 - p2)) / (z * z - 1);
      const dz = p1 / dp;
      z -= dz;
      if (Math.abs(dz) < 1e-15) break;
    }
    // Recompute the derivative at the converged root.
    let p1 = 1;
    let p2 = 0;
    for (let j = 1; j <= m; j++) {
      const p3 = p2;
      p2 = p1;
      p1 = ((2 * j - 1) * z * p2 - (j - 1) * p3) / j;
    }
    dp = (m * (z * p1 - p2)) / (z * z - 1);
    const w = 1 / ((1 - z * z) * dp * dp); // 2 / ((1 - z^2) P'^2) on [-1, 1], halved for [0, 1]
    nodes[i] = (1 - z) / 2;
    nodes[m - 1 - i] = (1 + z) / 2;
    weights[i] = w;
    weights[m - 1 - i] = w;
  }
  return { nodes, weights };
}

/** The nodes and weights of a rule on [0, 1]; the weights sum to 1. */
export function quadrature(rule: IgRule, steps: number): Quadrature {
  if (!Number.isInteger(steps) || steps < 1) {
    throw new UserError(`integrated gradients needs a whole number of steps of at least 1, got ${steps}`);
  }
  const m = steps;
  const range = (n: number, f: (j: number) => number) => Array.from({ length: n }, (_, j) => f(j));
  switch (rule) {
    case 'left':
      return { nodes: range(m, (j) => j / m), weights: range(m, () => 1 / m) };
    case 'right':
      return { nodes: range(m, (j) => (j + 1) / m), weights: range(m, () => 1 / m) };
    case 'midpoint':
      return { nodes: range(m, (j) => (j + 0.5) / m), weights: range(m, () => 1 / m) };
    case 'trapezoid':
      return {
        nodes: range(m + 1, (j) => j / m),
        weights: range(m + 1, (j) => (j === 0 || j === m ? 0.5 / m : 1 / m)),
      };
    case 'gauss-legendre':
      return gaussLegendre(m);
    default:
      throw new UserError(`unknown integration rule '${String(rule)}' (known: ${IG_RULES.join(', ')})`);
  }
}

/** A Gaussian blur of NHWC images (zero padding, renormalised at the borders so edges keep their level). */
export function gaussianBlur(x: Tensor, sigma: number): Tensor {
  if (x.rank !== 4)
    throw new UserError(`the blur baseline needs NHWC images, got an input of rank ${x.rank}`);
  if (!(sigma > 0)) throw new UserError(`blur sigma must be positive, got ${sigma}`);
  const [, h, w, c] = x.shape;
  const radius = Math.max(1, Math.min(Math.ceil(3 * sigma), Math.max(h, w)));
  const k1: number[] = [];
  for (let i = -radius; i <= radius; i++) k1.push(Math.exp(-(i * i) / (2 * sigma * sigma)));
  const sum = k1.reduce((a, b) => a + b, 0);
  const k = k1.map((v) => v / sum);
  const len = k.length;
  return tf.tidy(() => {
    const kx = tf.tile(tf.tensor4d(k, [1, len, 1, 1]), [1, 1, c, 1]) as tf.Tensor4D;
    const ky = tf.tile(tf.tensor4d(k, [len, 1, 1, 1]), [1, 1, c, 1]) as tf.Tensor4D;
    const blur = (t: tf.Tensor4D) => tf.depthwiseConv2d(tf.depthwiseConv2d(t, kx, 1, 'same'), ky, 1, 'same');
    const norm = blur(tf.ones([1, h, w, c]));
    return tf.div(blur(x as tf.Tensor4D), norm);
  });
}

function makeBaseline(x: Tensor, opts: IgOptions): Tensor {
  const b = opts.baseline ?? 'zero';
  if (b === 'zero') return tf.zerosLike(x);
  if (b === 'mean') {
    const ref = opts.reference ?? x;
    if (ref.rank !== x.rank || !ref.shape.slice(1).every((d, i) => d === x.shape[i + 1])) {
      throw new UserError(
        `mean baseline reference has shape [${ref.shape.slice(1)}] per sample, inputs [${x.shape.slice(1)}]`,
      );
    }
    return tf.tidy(() => tf.add(tf.zerosLike(x), tf.mean(ref, 0, true)));
  }
  if (b === 'blur') {
    const sigma = opts.blurSigma ?? Math.min(x.shape[1] ?? 1, x.shape[2] ?? 1) / 4;
    return gaussianBlur(x, sigma);
  }
  const given = b;
  const sameShape = given.rank === x.rank && given.shape.every((d, i) => d === x.shape[i]);
  const oneSample =
    given.rank === x.rank &&
    given.shape[0] === 1 &&
    given.shape.slice(1).every((d, i) => d === x.shape[i + 1]);
  if (!sameShape && !oneSample) {
    throw new UserError(`baseline of shape [${given.shape}] does not match inputs of shape [${x.shape}]`);
  }
  return tf.tidy(() => tf.add(tf.zerosLike(x), given));
}

/** F applied to a batch, as a vector of n values. */
function evalF(f: (x: Tensor) => Tensor, x: Tensor): Tensor {
  return tf.tidy(() => {
    const y = f(x);
    const n = x.shape[0];
    if (y.size !== n) {
      throw new UserError(`F must return one value per sample: ${n} samples gave shape [${y.shape}]`);
    }
    return y.reshape([n]);
  });
}

/**
 * Integrated gradients of `f` at the inputs `x` (shape [n, ...]). Returns host arrays; `x` and any
 * baseline or reference tensor are left to the caller.
 */
export function integratedGradients(f: (x: Tensor) => Tensor, x: Tensor, opts: IgOptions = {}): IgResult {
  const rule = opts.rule ?? DEFAULT_IG_RULE;
  const { nodes, weights } = quadrature(rule, opts.steps ?? DEFAULT_IG_STEPS);
  const n = x.shape[0];
  if (x.rank < 1 || n === 0) throw new UserError('integrated gradients needs at least one input');
  const per = x.size / n;
  const maxPoints = Math.max(1, opts.batchSize ?? 512);
  const group = Math.max(1, Math.floor(maxPoints / n));
  const sampleShape = x.shape.slice(1);

  const baseline = makeBaseline(x, opts);
  const delta = tf.sub(x, baseline);
  const gradSum = tf.grad((z: Tensor) => tf.sum(f(z)));
  let acc: Tensor = tf.zerosLike(x);
  try {
    for (let start = 0; start < nodes.length; start += group) {
      const end = Math.min(nodes.length, start + group);
      const g = end - start;
      const next = tf.tidy(() => {
        const alphas = tf.tensor1d(nodes.slice(start, end)).reshape([g, 1, ...sampleShape.map(() => 1)]);
        const w = tf.tensor1d(weights.slice(start, end)).reshape([g, 1, ...sampleShape.map(() => 1)]);
        // Path points [g, n, ...] flattened to a batch of g * n inputs.
        const points = tf.add(tf.expandDims(baseline, 0), tf.mul(alphas, tf.expandDims(delta, 0)));
        const grads = gradSum(points.reshape([g * n, ...sampleShape])).reshape([g, n, ...sampleShape]);
        return tf.add(acc, tf.sum(tf.mul(grads, w), 0));
      });
      acc.dispose();
      acc = next;
    }
    const attributions = tf.tidy(() => tf.mul(delta, acc));
    const fxT = evalF(f, x);
    const fbT = evalF(f, baseline);
    const sums = tf.tidy(() => tf.sum(attributions.reshape([n, per]), 1));
    const out: IgResult = {
      shape: x.shape.slice(),
      attributions: attributions.dataSync() as Float32Array,
      meanGradients: acc.dataSync() as Float32Array,
      baseline: baseline.dataSync() as Float32Array,
      fx: fxT.dataSync() as Float32Array,
      fBaseline: fbT.dataSync() as Float32Array,
      gap: new Float32Array(n),
      relativeGap: new Float32Array(n),
    };
    const s = sums.dataSync();
    for (let i = 0; i < n; i++) {
      const diff = out.fx[i] - out.fBaseline[i];
      out.gap[i] = s[i] - diff;
      const denom = Math.abs(diff);
      out.relativeGap[i] =
        denom === 0 ? (out.gap[i] === 0 ? 0 : Number.POSITIVE_INFINITY) : Math.abs(out.gap[i]) / denom;
    }
    tf.dispose([attributions, fxT, fbT, sums]);
    return out;
  } finally {
    tf.dispose([baseline, delta, acc]);
  }
}
