/**
 * The wasm kernels that replace slow tfjs ones for training speed (BatchMatMul, MaxPoolGrad, the
 * 'im2col' strategy of Conv2DBackpropFilter): against the cpu backend on random inputs of several
 * shapes, against finite differences through tf.grad, and for leaks.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { initBackend } from '../../native/engine/backend/select';
import {
  type Conv2DBackpropFilterStrategy,
  forceConv2DBackpropFilterStrategy,
} from '../../native/engine/kernels/conv2d-backprop-filter';
import { originalWasmKernel } from '../../native/engine/kernels/originals';
import { Rng } from '../../native/engine/random';
import { tf } from '../../native/engine/tf';

type Shape4 = [number, number, number, number];

interface HostTensor {
  shape: number[];
  values: Float32Array;
}

const rng = new Rng(77);

function randn(shape: number[]): HostTensor {
  const values = new Float32Array(tf.util.sizeFromShape(shape));
  for (let i = 0; i < values.length; i++) values[i] = rng.normal();
  return { shape, values };
}

/** Values from a small set (many ties inside pooling windows), some windows all zero like after relu. */
function tiesAndZeros(shape: number[]): HostTensor {
  const values = new Float32Array(tf.util.sizeFromShape(shape));
  for (let i = 0; i < values.length; i++) values[i] = Math.max(0, rng.int(5) - 2);
  return { shape, values };
}

async function runKernel(
  backend: 'cpu' | 'wasm',
  kernelName: string,
  inputs: Record<string, HostTensor>,
  attrs: tf.NamedAttrMap,
): Promise<{ shape: number[]; values: Float32Array }> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const named: tf.NamedTensorMap = {};
    for (const [k, v] of Object.entries(inputs)) named[k] = tf.tensor(v.values, v.shape, 'float32');
    const out = tf.engine().runKernel(kernelName, named, attrs) as tf.Tensor;
    return { shape: out.shape, values: Float32Array.from(out.dataSync()) };
  });
}

function assertClose(actual: Float32Array, expected: Float32Array, atol: number, rtol: number, what: string) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    if (!(diff <= atol + rtol * Math.abs(expected[i]))) {
      assert.fail(`${what}: element ${i} is ${actual[i]}, expected ${expected[i]} (diff ${diff})`);
    }
  }
}

async function compareWithCpu(
  kernelName: string,
  inputs: Record<string, HostTensor>,
  attrs: tf.NamedAttrMap,
  atol = 1e-4,
  rtol = 1e-4,
) {
  const expected = await runKernel('cpu', kernelName, inputs, attrs);
  const actual = await runKernel('wasm', kernelName, inputs, attrs);
  assert.deepEqual(actual.shape, expected.shape, `${kernelName} shape`);
  const what = `${kernelName} ${JSON.stringify(Object.values(inputs).map((t) => t.shape))} ${JSON.stringify(attrs)}`;
  assertClose(actual.values, expected.values, atol, rtol, what);
}

async function withStrategy<T>(s: Conv2DBackpropFilterStrategy | undefined, f: () => Promise<T>): Promise<T> {
  const previous = forceConv2DBackpropFilterStrategy(s);
  try {
    return await f();
  } finally {
    forceConv2DBackpropFilterStrategy(previous);
  }
}

/** Runs `f` a few times on wasm and checks that no tensor, byte or wasm buffer is left behind. */
async function assertNoLeak(f: () => void) {
  await tf.setBackend('wasm');
  f();
  const backend = tf.backend();
  const before = { ...tf.memory(), dataIds: backend.numDataIds() };
  for (let i = 0; i < 3; i++) f();
  const after = { ...tf.memory(), dataIds: backend.numDataIds() };
  assert.equal(after.numTensors, before.numTensors, 'numTensors');
  assert.equal(after.numBytes, before.numBytes, 'numBytes');
  assert.equal(after.dataIds, before.dataIds, 'wasm data ids');
}

before(async () => {
  await initBackend({ prefer: 'wasm' });
});

after(async () => {
  await tf.setBackend('wasm');
});

// [a shape, b shape, transposeA, transposeB]
const matMulCases: [number[], number[], boolean, boolean][] = [
  [[5, 7], [7, 3], false, false],
  [[7, 5], [7, 3], true, false],
  [[5, 7], [3, 7], false, true],
  [[7, 5], [3, 7], true, true],
  [[1, 64, 10], [1, 128, 10], false, true], // the logits layer's dx
  [[1, 64, 128], [1, 64, 10], true, false], // the logits layer's dW
  [[64, 96], [600, 96], false, true], // dx = dy W^T: computed transposed, JS transpose of the result
  [[64, 600], [64, 96], true, false], // dW = x^T dy
  [[600, 500], [600, 40], true, false], // JS transpose of a (300k elements)
  [[3, 40, 50], [3, 50, 60], false, false], // a batch: split into its products
  [[3, 50, 40], [3, 60, 50], true, true],
  [[2, 3, 40, 50], [50, 60], false, false], // many against one: a single product
  [[2, 3, 50, 40], [50, 60], true, false],
  [[40, 50], [4, 50, 60], false, false], // one against many
  [[2, 1, 40, 50], [3, 50, 60], false, false], // broadcast both ways: the original kernel
  [[2, 5, 4], [2, 3, 5], true, true], // a small batch: the original kernel
];

describe('BatchMatMul (wasm) matches the cpu backend', () => {
  it('with and without transposes, single products, batches, broadcasting', async () => {
    for (const [as, bs, transposeA, transposeB] of matMulCases) {
      const k = transposeA ? as[as.length - 2] : as[as.length - 1];
      // Sums of k products of N(0,1) values: float32 rounding grows like sqrt(k).
      await compareWithCpu(
        'BatchMatMul',
        { a: randn(as), b: randn(bs) },
        { transposeA, transposeB },
        2e-5 * Math.sqrt(k) * 10,
        1e-4,
      );
    }
  });

  it('rejects mismatched inner dimensions like the original', async () => {
    await tf.setBackend('wasm');
    const a = tf.zeros([4, 5]);
    const b = tf.zeros([4, 3]);
    assert.throws(() => tf.matMul(a, b, false, true), /inner shapes/);
    tf.dispose([a, b]);
  });

  it('the original wasm kernel is remembered, with its setup done', async () => {
    await tf.setBackend('wasm');
    const original = originalWasmKernel('BatchMatMul');
    assert.ok(original != null);
    assert.notEqual(original.kernelFunc, tf.getKernel('BatchMatMul', 'wasm')?.kernelFunc);
    const y = tf.tidy(() => {
      const a = tf.tensor2d([1, 2, 3, 4], [2, 2]);
      const out = original.kernelFunc({
        inputs: { a, b: a },
        attrs: { transposeA: false, transposeB: false },
        backend: tf.backend(),
      }) as tf.TensorInfo;
      return tf.engine().makeTensorFromTensorInfo(out);
    });
    assert.deepEqual(Array.from(y.dataSync()), [7, 10, 15, 22]);
    y.dispose();
  });
});

interface PoolCase {
  x: Shape4;
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'same' | 'valid' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

const poolCases: PoolCase[] = [
  { x: [2, 8, 8, 3], filterSize: 2, strides: 2, pad: 'valid' }, // the 2x2 path
  { x: [2, 7, 9, 3], filterSize: 2, strides: 2, pad: 'valid' }, // 2x2 path, uncovered last row/column
  { x: [2, 8, 6, 2], filterSize: 2, strides: 2, pad: 'same' }, // 2x2 path (no padding needed)
  { x: [2, 7, 7, 2], filterSize: 2, strides: 2, pad: 'same' }, // padded: general path
  { x: [2, 7, 7, 3], filterSize: 3, strides: 2, pad: 'same' }, // overlapping windows
  { x: [1, 6, 6, 2], filterSize: 3, strides: 1, pad: 'same' },
  { x: [2, 6, 5, 2], filterSize: 2, strides: 1, pad: 'valid' },
  { x: [1, 9, 8, 3], filterSize: [3, 2], strides: [2, 1], pad: 'valid' },
  { x: [1, 8, 8, 2], filterSize: 3, strides: 2, pad: 1, dimRoundingMode: 'ceil' },
  { x: [1, 5, 5, 1], filterSize: 4, strides: 3, pad: 'same' },
];

function poolOutShape(c: PoolCase): Shape4 {
  return tf.backend_util.computePool2DInfo(c.x, c.filterSize, c.strides, 1, c.pad, c.dimRoundingMode)
    .outShape as Shape4;
}

/** The forward max pool on the cpu backend (MaxPoolGrad's `output` input). */
async function cpuMaxPool(x: HostTensor, c: PoolCase): Promise<HostTensor> {
  const attrs: tf.NamedAttrMap = { filterSize: c.filterSize, strides: c.strides, pad: c.pad };
  if (c.dimRoundingMode) attrs.dimRoundingMode = c.dimRoundingMode;
  return runKernel('cpu', 'MaxPool', { x }, attrs);
}

describe('MaxPoolGrad (wasm) matches the cpu backend', () => {
  it('random inputs, windows with ties (first maximum wins) and all-zero windows', async () => {
    for (const c of poolCases) {
      for (const x of [randn(c.x), tiesAndZeros(c.x)]) {
        const attrs: tf.NamedAttrMap = { filterSize: c.filterSize, strides: c.strides, pad: c.pad };
        if (c.dimRoundingMode) attrs.dimRoundingMode = c.dimRoundingMode;
        const output = await cpuMaxPool(x, c);
        assert.deepEqual(output.shape, poolOutShape(c));
        await compareWithCpu('MaxPoolGrad', { dy: randn(output.shape), input: x, output }, attrs, 1e-6, 1e-6);
      }
    }
  });

  it('windows of -Infinity and NaN get no gradient, as on the cpu backend', async () => {
    const x = randn([1, 4, 4, 2]);
    for (let i = 0; i < 8; i++) x.values[i] = Number.NEGATIVE_INFINITY; // first rows, both channels
    x.values[20] = Number.NaN;
    for (const c of [poolCases[0], poolCases[5]]) {
      const attrs: tf.NamedAttrMap = { filterSize: c.filterSize, strides: c.strides, pad: c.pad };
      const shape = tf.backend_util.computePool2DInfo(x.shape as Shape4, c.filterSize, c.strides, 1, c.pad)
        .outShape as Shape4;
      const output = { shape, values: new Float32Array(tf.util.sizeFromShape(shape)) };
      await compareWithCpu('MaxPoolGrad', { dy: randn(shape), input: x, output }, attrs, 1e-6, 1e-6);
    }
  });
});

interface ConvCase {
  x: Shape4;
  filter: Shape4;
  strides: number | [number, number];
  pad: 'same' | 'valid' | number;
}

const convCases: ConvCase[] = [
  { x: [4, 28, 28, 1], filter: [3, 3, 1, 8], strides: 1, pad: 'same' }, // an MNIST first layer
  { x: [2, 7, 7, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'same' },
  { x: [2, 7, 7, 3], filter: [3, 3, 3, 4], strides: 2, pad: 'same' },
  { x: [2, 8, 9, 3], filter: [3, 2, 3, 5], strides: 2, pad: 'valid' },
  { x: [1, 9, 8, 2], filter: [5, 5, 2, 3], strides: 1, pad: 'valid' },
  { x: [1, 6, 5, 2], filter: [3, 3, 2, 3], strides: [2, 1], pad: 1 },
  { x: [2, 4, 4, 3], filter: [4, 4, 3, 2], strides: 3, pad: 'same' },
  { x: [1, 5, 6, 2], filter: [2, 2, 2, 3], strides: 2, pad: 3 },
  { x: [2, 6, 6, 8], filter: [3, 3, 8, 4], strides: 1, pad: 'same' },
];

describe('Conv2DBackpropFilter (wasm) strategies match the cpu backend', () => {
  for (const strategy of ['im2col', 'im2col-t', 'conv', undefined] as const) {
    it(`strategy ${strategy ?? 'chosen per shape'}`, async () => {
      await withStrategy(strategy, async () => {
        for (const c of convCases) {
          const out = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad).outShape;
          await compareWithCpu(
            'Conv2DBackpropFilter',
            { x: randn(c.x), dy: randn(out) },
            { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filter },
            2e-4,
            1e-4,
          );
        }
      });
    });
  }
});

/**
 * Central finite differences of loss(v) = sum(f(v) * r) at a few random coordinates of `v`,
 * compared with the analytic gradient `g`.
 */
function checkFiniteDifferences(
  what: string,
  v: tf.Tensor,
  g: tf.Tensor,
  forward: (v: tf.Tensor) => tf.Tensor,
  r: Float32Array,
  eps = 1e-2,
  samples = 8,
) {
  const base = v.dataSync().slice();
  const grad = g.dataSync();
  const loss = (values: Float32Array) =>
    tf.tidy(() => {
      const out = forward(tf.tensor(values, v.shape, 'float32')).dataSync();
      let s = 0;
      for (let i = 0; i < out.length; i++) s += out[i] * r[i];
      return s;
    });
  for (let k = 0; k < samples; k++) {
    const i = rng.int(base.length);
    const plus = Float32Array.from(base);
    const minus = Float32Array.from(base);
    plus[i] += eps;
    minus[i] -= eps;
    const fd = (loss(plus) - loss(minus)) / (2 * eps);
    const tol = 2e-3 + 2e-3 * Math.abs(fd);
    assert.ok(Math.abs(grad[i] - fd) <= tol, `${what}[${i}]: gradient ${grad[i]} vs finite difference ${fd}`);
  }
}

/** Distinct values at least 0.1 apart (so a +-eps step never changes which input of a window is the max). */
function distinct(shape: number[]): tf.Tensor {
  const n = tf.util.sizeFromShape(shape);
  const perm = rng.permutation(n);
  return tf.tensor(
    Float32Array.from(perm, (p) => (p - n / 2) * 0.1),
    shape,
  );
}

describe('gradients on wasm match finite differences', () => {
  it('matMul with every transpose combination, single and batched', async () => {
    await tf.setBackend('wasm');
    const cases: [number[], number[], boolean, boolean][] = [
      [[6, 5], [5, 4], false, false],
      [[5, 6], [5, 4], true, false],
      [[6, 5], [4, 5], false, true],
      [[5, 6], [4, 5], true, true],
      [[3, 40, 30], [3, 30, 40], false, false],
      [[2, 30, 40], [2, 30, 40], true, false],
    ];
    for (const [as, bs, ta, tb] of cases) {
      tf.tidy(() => {
        const a = tf.tensor(randn(as).values, as);
        const b = tf.tensor(randn(bs).values, bs);
        const out = tf.matMul(a, b, ta, tb);
        const r = randn(out.shape).values;
        const rt = tf.tensor(r, out.shape);
        const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y, ta, tb).mul(rt).sum())([
          a,
          b,
        ]);
        checkFiniteDifferences('matMul da', a, ga, (v) => tf.matMul(v, b, ta, tb), r);
        checkFiniteDifferences('matMul db', b, gb, (v) => tf.matMul(a, v, ta, tb), r);
      });
    }
  });

  it('maxPool (2x2 tiling, padded, overlapping)', async () => {
    await tf.setBackend('wasm');
    const cases: [Shape4, number, number, 'same' | 'valid'][] = [
      [[2, 6, 6, 3], 2, 2, 'valid'],
      [[1, 7, 7, 2], 2, 2, 'same'],
      [[1, 7, 6, 2], 3, 2, 'same'],
    ];
    for (const [xs, size, s, pad] of cases) {
      tf.tidy(() => {
        const x = distinct(xs);
        const out = tf.maxPool(x as tf.Tensor4D, size, s, pad);
        const r = randn(out.shape).values;
        const rt = tf.tensor(r, out.shape);
        const g = tf.grad((v: tf.Tensor) =>
          tf
            .maxPool(v as tf.Tensor4D, size, s, pad)
            .mul(rt)
            .sum(),
        )(x);
        checkFiniteDifferences(
          'maxPool dx',
          x,
          g,
          (v) => tf.maxPool(v as tf.Tensor4D, size, s, pad),
          r,
          1e-2,
          12,
        );
      });
    }
  });

  it('conv2d filter gradient with either strategy', async () => {
    await tf.setBackend('wasm');
    for (const strategy of ['im2col', 'im2col-t', 'conv'] as const) {
      await withStrategy(strategy, async () => {
        const cases: [Shape4, Shape4, number, 'same' | 'valid'][] = [
          [[2, 6, 6, 1], [3, 3, 1, 4], 1, 'same'],
          [[2, 7, 7, 3], [3, 3, 3, 4], 2, 'same'],
          [[1, 8, 7, 2], [3, 2, 2, 3], 2, 'valid'],
        ];
        for (const [xs, ws, s, pad] of cases) {
          tf.tidy(() => {
            const x = tf.tensor4d(randn(xs).values, xs);
            const w = tf.tensor4d(randn(ws).values, ws);
            const out = tf.conv2d(x, w, s, pad);
            const r = randn(out.shape).values;
            const rt = tf.tensor(r, out.shape);
            const gw = tf.grad((v: tf.Tensor) =>
              tf
                .conv2d(x, v as tf.Tensor4D, s, pad)
                .mul(rt)
                .sum(),
            )(w);
            checkFiniteDifferences(
              `conv2d dw (${strategy})`,
              w,
              gw,
              (v) => tf.conv2d(x, v as tf.Tensor4D, s, pad),
              r,
            );
          });
        }
      });
    }
  });
});

describe('the fast kernels free their intermediates', () => {
  it('leave no tensor, byte or wasm buffer behind', async () => {
    await tf.setBackend('wasm');
    const a = tf.tensor(randn([64, 600]).values, [64, 600]);
    const w = tf.tensor(randn([600, 96]).values, [600, 96]);
    const big = tf.tensor(randn([600, 500]).values, [600, 500]);
    const batch = tf.tensor(randn([3, 40, 50]).values, [3, 40, 50]);
    const x = tf.tensor4d(randn([4, 28, 28, 1]).values, [4, 28, 28, 1]);
    const f = tf.tensor4d(randn([3, 3, 1, 8]).values, [3, 3, 1, 8]);
    const step = () =>
      tf.tidy(() => {
        const [ga, gw] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.matMul(p, q).sum())([a, w]);
        const t = tf.matMul(big, big, true, false);
        const bt = tf.matMul(batch, batch, false, true);
        const many = tf.matMul(batch, tf.ones([50, 7]));
        const [gx, gf] = tf.grads((p: tf.Tensor, q: tf.Tensor) =>
          tf.maxPool(tf.conv2d(p as tf.Tensor4D, q as tf.Tensor4D, 1, 'same'), 2, 2, 'valid').sum(),
        )([x, f]);
        return [ga, gw, t, bt, many, gx, gf];
      });
    await assertNoLeak(() => tf.dispose(step()));
    await withStrategy('im2col', () => assertNoLeak(() => tf.dispose(step())));
    await withStrategy('im2col-t', () => assertNoLeak(() => tf.dispose(step())));
    tf.dispose([a, w, big, batch, x, f]);
  });
});
