import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initBackend } from '../../native/engine/backend/select';
import { Rng } from '../../native/engine/random';
import { tf } from '../../native/engine/tf';

type Shape4 = [number, number, number, number];
type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;

interface HostTensor {
  shape: number[];
  dtype: 'float32' | 'int32';
  values: Float32Array | Int32Array;
}

const rng = new Rng(20240611);

function randn(shape: number[]): HostTensor {
  const values = new Float32Array(tf.util.sizeFromShape(shape));
  for (let i = 0; i < values.length; i++) values[i] = rng.normal();
  return { shape, dtype: 'float32', values };
}

function ints(shape: number[], values: number[]): HostTensor {
  return { shape, dtype: 'int32', values: Int32Array.from(values) };
}

/** Runs one kernel on `backend` on fresh copies of the inputs; returns its output's shape and values. */
async function runKernel(
  backend: 'cpu' | 'wasm',
  kernelName: string,
  inputs: Record<string, HostTensor>,
  attrs: tf.NamedAttrMap,
): Promise<{ shape: number[]; values: Float32Array }> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const named: tf.NamedTensorMap = {};
    for (const [k, v] of Object.entries(inputs)) named[k] = tf.tensor(v.values, v.shape, v.dtype);
    const out = tf.engine().runKernel(kernelName, named, attrs) as tf.Tensor;
    return { shape: out.shape, values: Float32Array.from(out.dataSync()) };
  });
}

function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  atol: number,
  rtol: number,
  what: string,
) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    if (!(diff <= atol + rtol * Math.abs(expected[i]))) {
      assert.fail(`${what}: element ${i} is ${actual[i]}, expected ${expected[i]} (diff ${diff})`);
    }
  }
}

/** Compares the wasm kernel (ours) with the cpu backend's native kernel. */
async function compareWithCpu(
  kernelName: string,
  inputs: Record<string, HostTensor>,
  attrs: tf.NamedAttrMap,
) {
  const expected = await runKernel('cpu', kernelName, inputs, attrs);
  const actual = await runKernel('wasm', kernelName, inputs, attrs);
  assert.deepEqual(actual.shape, expected.shape, `${kernelName} shape`);
  assertClose(actual.values, expected.values, 1e-4, 1e-4, `${kernelName} ${JSON.stringify(attrs)}`);
}

/** Runs `f` a few times on wasm and checks that no tensor, byte or wasm buffer is left behind. */
async function assertNoLeak(f: () => void) {
  await tf.setBackend('wasm');
  f(); // warm-up: lazily created state is not a leak
  const backend = tf.backend();
  const before = { ...tf.memory(), dataIds: backend.numDataIds() };
  for (let i = 0; i < 3; i++) f();
  const after = { ...tf.memory(), dataIds: backend.numDataIds() };
  assert.equal(after.numTensors, before.numTensors, 'numTensors');
  assert.equal(after.numBytes, before.numBytes, 'numBytes');
  assert.equal(after.dataIds, before.dataIds, 'wasm data ids');
}

interface ConvCase {
  x: Shape4;
  filter: Shape4;
  strides: number | [number, number];
  pad: Pad;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

const convCases: ConvCase[] = [
  { x: [2, 7, 7, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'same' },
  { x: [2, 7, 7, 3], filter: [3, 3, 3, 4], strides: 2, pad: 'same' },
  { x: [2, 8, 9, 3], filter: [3, 2, 3, 5], strides: 2, pad: 'valid' },
  { x: [1, 9, 8, 2], filter: [5, 5, 2, 3], strides: 1, pad: 'valid' },
  { x: [1, 6, 5, 2], filter: [3, 3, 2, 3], strides: [2, 1], pad: 1 },
  { x: [1, 8, 8, 2], filter: [3, 3, 2, 2], strides: 2, pad: 0, dimRoundingMode: 'ceil' },
  {
    x: [2, 7, 6, 3],
    filter: [2, 3, 3, 2],
    strides: 2,
    pad: [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
  },
  { x: [3, 5, 5, 4], filter: [1, 1, 4, 6], strides: 1, pad: 'valid' },
  { x: [2, 4, 4, 3], filter: [4, 4, 3, 2], strides: 3, pad: 'same' },
  { x: [2, 7, 6, 3], filter: [1, 1, 3, 4], strides: 2, pad: 'valid' },
  { x: [1, 5, 6, 2], filter: [2, 2, 2, 3], strides: 2, pad: 3 },
];

function outShapeOf(c: ConvCase, depthwise: boolean): Shape4 {
  return tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad, c.dimRoundingMode, depthwise)
    .outShape as Shape4;
}

function convAttrs(c: ConvCase, extra: tf.NamedAttrMap): tf.NamedAttrMap {
  const attrs: tf.NamedAttrMap = { ...extra, strides: c.strides, pad: c.pad };
  if (c.dimRoundingMode) attrs.dimRoundingMode = c.dimRoundingMode;
  return attrs;
}

const depthwiseCases: ConvCase[] = [
  { x: [2, 7, 7, 3], filter: [3, 3, 3, 1], strides: 1, pad: 'same' },
  { x: [2, 7, 7, 3], filter: [3, 3, 3, 2], strides: 2, pad: 'same' },
  { x: [1, 8, 9, 2], filter: [3, 2, 2, 2], strides: 2, pad: 'valid' },
  { x: [2, 6, 5, 3], filter: [3, 3, 3, 2], strides: 1, pad: 1 },
  { x: [3, 5, 6, 4], filter: [2, 2, 4, 3], strides: [1, 2], pad: 'valid' },
  { x: [2, 7, 6, 3], filter: [1, 1, 3, 2], strides: 2, pad: 'valid' },
  { x: [1, 5, 6, 2], filter: [2, 2, 2, 1], strides: 2, pad: 3 },
];

before(async () => {
  await initBackend({ prefer: 'wasm' });
});

describe('wasm kernels match the cpu backend', () => {
  it('Conv2DBackpropFilter', async () => {
    for (const c of convCases) {
      const attrs = convAttrs(c, { dataFormat: 'NHWC' });
      await compareWithCpu(
        'Conv2DBackpropFilter',
        { x: randn(c.x), dy: randn(outShapeOf(c, false)) },
        { ...attrs, filterShape: c.filter },
      );
    }
  });

  it('Conv2DBackpropInput (replaced)', async () => {
    for (const c of convCases) {
      const attrs = convAttrs(c, { dataFormat: 'NHWC' });
      await compareWithCpu(
        'Conv2DBackpropInput',
        { dy: randn(outShapeOf(c, false)), filter: randn(c.filter) },
        { ...attrs, inputShape: c.x },
      );
    }
  });

  it('DepthwiseConv2dNativeBackpropInput', async () => {
    for (const c of depthwiseCases) {
      const attrs = convAttrs(c, { dilations: [1, 1] });
      await compareWithCpu(
        'DepthwiseConv2dNativeBackpropInput',
        { dy: randn(outShapeOf(c, true)), filter: randn(c.filter) },
        { ...attrs, inputShape: c.x },
      );
    }
  });

  it('DepthwiseConv2dNativeBackpropFilter', async () => {
    for (const c of depthwiseCases) {
      const attrs = convAttrs(c, { dilations: [1, 1] });
      await compareWithCpu(
        'DepthwiseConv2dNativeBackpropFilter',
        { x: randn(c.x), dy: randn(outShapeOf(c, true)) },
        { ...attrs, filterShape: c.filter },
      );
    }
  });

  it('UnsortedSegmentSum (duplicate, empty, negative and out-of-range ids)', async () => {
    const cases: [HostTensor, HostTensor, number][] = [
      [randn([6, 3]), ints([6], [0, 2, 2, 1, 0, 2]), 4],
      [randn([5, 2, 3]), ints([5], [1, -1, 3, 7, 1]), 4],
      [randn([4]), ints([4], [3, 3, 0, 1]), 5],
      [randn([3, 2]), ints([3], [-2, 5, 9]), 3],
    ];
    for (const [x, segmentIds, numSegments] of cases) {
      await compareWithCpu('UnsortedSegmentSum', { x, segmentIds }, { numSegments });
    }
  });

  it('rejects NCHW and dilations with a clear error', async () => {
    await tf.setBackend('wasm');
    const x = tf.zeros([1, 2, 5, 5]);
    const dy = tf.zeros([1, 2, 5, 5]);
    assert.throws(
      () =>
        tf
          .engine()
          .runKernel(
            'Conv2DBackpropFilter',
            { x, dy },
            { strides: 1, pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 2, 2] },
          ),
      /only the NHWC data format/,
    );
    assert.throws(
      () =>
        tf
          .engine()
          .runKernel(
            'DepthwiseConv2dNativeBackpropFilter',
            { x, dy },
            { strides: 1, pad: 'same', dilations: [2, 2], filterShape: [3, 3, 5, 1] },
          ),
      /dilations must be 1/,
    );
    tf.dispose([x, dy]);
  });
});

describe('wasm kernels free their intermediates', () => {
  it('leave no tensor, byte or wasm buffer behind', async () => {
    const x = tf.tensor4d(randn([2, 7, 7, 3]).values, [2, 7, 7, 3]);
    const w = tf.tensor4d(randn([3, 3, 3, 4]).values, [3, 3, 3, 4]);
    const dw = tf.tensor4d(randn([3, 3, 3, 2]).values, [3, 3, 3, 2]);
    const table = tf.tensor2d(randn([5, 3]).values, [5, 3]);
    const ids = tf.tensor1d([0, 4, 4, -1, 9, 2], 'int32');
    const segments = tf.tensor2d(randn([6, 3]).values, [6, 3]);
    const loss = () => {
      const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same').sum(),
      )([x, w]);
      const [hx, hw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same').sum(),
      )([x, dw]);
      const g = tf.grad((t: tf.Tensor) => tf.gather(t, tf.tensor1d([0, 4, 4, 2], 'int32')).sum())(table);
      const s = tf.unsortedSegmentSum(segments, ids, 5);
      return [gx, gw, hx, hw, g, s];
    };
    await assertNoLeak(() =>
      tf.tidy(() => {
        loss();
      }),
    );
    await assertNoLeak(() => tf.dispose(loss()));
    tf.dispose([x, w, dw, table, ids, segments]);
  });
});

/**
 * Central finite differences of loss(v) = sum(f(v) * r) (in float64 on the float32 outputs), at a few
 * random coordinates of `v`, compared with the analytic gradient `g`.
 */
function checkFiniteDifferences(
  what: string,
  v: tf.Tensor,
  g: tf.Tensor,
  forward: (v: tf.Tensor) => tf.Tensor,
  r: Float32Array,
  samples = 8,
  eps = 1e-2,
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
    // The forward runs in float32 but the loss is summed in float64, so the central difference of this
    // (bilinear or smooth) loss is good to ~1e-4; an indexing bug is off by O(1).
    const tol = 2e-3 + 2e-3 * Math.abs(fd);
    assert.ok(Math.abs(grad[i] - fd) <= tol, `${what}[${i}]: gradient ${grad[i]} vs finite difference ${fd}`);
  }
}

function fixedRandom(shape: number[]): Float32Array {
  return randn(shape).values as Float32Array;
}

describe('gradients on wasm match finite differences (float32)', () => {
  it('conv2d (input and filter; stride 1 and 2, same and valid)', async () => {
    await tf.setBackend('wasm');
    const cases: [Shape4, Shape4, number, 'same' | 'valid'][] = [
      [[2, 6, 6, 3], [3, 3, 3, 4], 1, 'same'],
      [[2, 7, 7, 3], [3, 3, 3, 4], 2, 'same'],
      [[1, 8, 7, 2], [3, 2, 2, 3], 2, 'valid'],
    ];
    for (const [xs, ws, s, pad] of cases) {
      tf.tidy(() => {
        const x = tf.tensor4d(randn(xs).values, xs);
        const w = tf.tensor4d(randn(ws).values, ws);
        const out = tf.conv2d(x, w, s, pad);
        const r = fixedRandom(out.shape);
        const rt = tf.tensor(r, out.shape);
        const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf
            .conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, pad)
            .mul(rt)
            .sum(),
        )([x, w]);
        checkFiniteDifferences('conv2d dx', x, gx, (v) => tf.conv2d(v as tf.Tensor4D, w, s, pad), r);
        checkFiniteDifferences('conv2d dw', w, gw, (v) => tf.conv2d(x, v as tf.Tensor4D, s, pad), r);
      });
    }
  });

  it('depthwiseConv2d (channel multiplier 1 and 2)', async () => {
    await tf.setBackend('wasm');
    const cases: [Shape4, Shape4, number, 'same' | 'valid'][] = [
      [[2, 6, 6, 3], [3, 3, 3, 1], 1, 'same'],
      [[2, 7, 7, 3], [3, 3, 3, 2], 2, 'same'],
      [[1, 7, 8, 2], [2, 3, 2, 2], 2, 'valid'],
    ];
    for (const [xs, ws, s, pad] of cases) {
      tf.tidy(() => {
        const x = tf.tensor4d(randn(xs).values, xs);
        const w = tf.tensor4d(randn(ws).values, ws);
        const out = tf.depthwiseConv2d(x, w, s, pad);
        const r = fixedRandom(out.shape);
        const rt = tf.tensor(r, out.shape);
        const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf
            .depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, pad)
            .mul(rt)
            .sum(),
        )([x, w]);
        checkFiniteDifferences(
          'depthwise dx',
          x,
          gx,
          (v) => tf.depthwiseConv2d(v as tf.Tensor4D, w, s, pad),
          r,
        );
        checkFiniteDifferences(
          'depthwise dw',
          w,
          gw,
          (v) => tf.depthwiseConv2d(x, v as tf.Tensor4D, s, pad),
          r,
        );
      });
    }
  });

  it('gather (duplicate indices, axis 0 and 1)', async () => {
    await tf.setBackend('wasm');
    tf.tidy(() => {
      for (const axis of [0, 1]) {
        const table = tf.tensor2d(randn([6, 5]).values, [6, 5]);
        const idx = tf.tensor1d([1, 3, 3, 0, 4, 1, 1], 'int32');
        const out = tf.gather(table, idx, axis);
        const r = fixedRandom(out.shape);
        const rt = tf.tensor(r, out.shape);
        const g = tf.grad((t: tf.Tensor) => tf.gather(t, idx, axis).mul(rt).sum())(table);
        checkFiniteDifferences(`gather axis ${axis}`, table, g, (v) => tf.gather(v, idx, axis), r, 10);
      }
    });
  });

  it('a small tf.layers model with conv2d, depthwiseConv2d and embedding', async () => {
    await tf.setBackend('wasm');
    const image = tf.input({ shape: [6, 6, 2] });
    const tokens = tf.input({ shape: [4], dtype: 'int32' });
    const conv = tf.layers
      .conv2d({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh' })
      .apply(image) as tf.SymbolicTensor;
    const dw = tf.layers
      .depthwiseConv2d({ kernelSize: 2, depthMultiplier: 2, padding: 'valid', activation: 'tanh' })
      .apply(conv) as tf.SymbolicTensor;
    const emb = tf.layers.embedding({ inputDim: 7, outputDim: 3 }).apply(tokens) as tf.SymbolicTensor;
    const merged = tf.layers
      .concatenate()
      .apply([
        tf.layers.flatten().apply(dw) as tf.SymbolicTensor,
        tf.layers.flatten().apply(emb) as tf.SymbolicTensor,
      ]);
    const out = tf.layers.dense({ units: 2, activation: 'tanh' }).apply(merged) as tf.SymbolicTensor;
    const model = tf.model({ inputs: [image, tokens], outputs: out });

    const x = tf.tensor4d(randn([3, 6, 6, 2]).values, [3, 6, 6, 2]);
    const ids = tf.tensor2d([0, 2, 2, 6, 1, 1, 1, 3, 5, 0, 2, 4], [3, 4], 'int32');
    const r = fixedRandom([3, 2]);
    const rt = tf.tensor2d(r, [3, 2]);
    const predict = () => model.apply([x, ids]) as tf.Tensor;
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => predict().mul(rt).sum() as tf.Scalar, variables);
    value.dispose();
    assert.equal(Object.keys(grads).length, variables.length);
    for (const weight of model.trainableWeights) {
      const variable = weight.read() as tf.Variable;
      const g = grads[variable.name];
      assert.ok(g != null, `no gradient for ${weight.name}`);
      const original = variable.clone();
      checkFiniteDifferences(
        weight.name,
        original,
        g,
        (v) => {
          variable.assign(v);
          return predict();
        },
        r,
        6,
      );
      variable.assign(original);
      original.dispose();
    }
    tf.dispose([x, ids, rt, ...Object.values(grads)]);
    model.dispose();
  });
});
